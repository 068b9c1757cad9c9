"""The fuzzers draw new examples in CI and a printed seed brings them back
(issue #19, item 7; tests/fuzzing.py). Each case runs `tests/fuzzing_probe.py`
in a pytest of its own, as .ci/run and a person reproducing a failure would."""
import os
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import REPO


def _draw(tmp_path, name, **env):
    out = tmp_path / f"{name}.txt"
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("HYPOTHESIS_PROFILE", "MEKTEP_HYPOTHESIS_SEED")}
    environment.update(env, PROBE_OUT=str(out))
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/fuzzing_probe.py"],
                         cwd=REPO, env=environment, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return out.read_text(encoding="utf-8"), run.stdout


def test_locally_the_fuzzers_draw_the_same_examples_every_run():
    def draw():
        drawn = []

        @settings(settings.get_profile("dev"), max_examples=8)
        @given(st.text(max_size=20))
        def fuzz(value):
            drawn.append(value)

        fuzz()
        return drawn

    assert draw() == draw()


def test_in_ci_each_run_draws_new_examples_and_its_printed_seed_draws_them_again(tmp_path):
    first, printed = _draw(tmp_path, "first", HYPOTHESIS_PROFILE="ci")
    second, _ = _draw(tmp_path, "second", HYPOTHESIS_PROFILE="ci")
    assert first != second
    seed = next(word for word in printed.split() if word.startswith("MEKTEP_HYPOTHESIS_SEED=")).split("=")[1]
    again, _ = _draw(tmp_path, "again", HYPOTHESIS_PROFILE="ci", MEKTEP_HYPOTHESIS_SEED=seed)
    assert again == first
