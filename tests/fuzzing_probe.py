"""Run by tests/test_fuzzing_profiles.py in a pytest of its own (not collected by
the suite: no test_ prefix): writes the examples a fuzzer drew to $PROBE_OUT."""
import os

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzzing import fuzz_settings

drawn = []


@fuzz_settings(8)
@given(st.text(max_size=20))
def _fuzz(value):
    drawn.append(value)


def test_probe():
    _fuzz()
    with open(os.environ["PROBE_OUT"], "w", encoding="utf-8") as out:
        out.write(repr(drawn))
