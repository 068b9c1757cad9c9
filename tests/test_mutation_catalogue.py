"""The mutation catalogue (tests/mutations.py) stays in step with the code: a
mutation whose text is gone would prove nothing (issue 13 moved code under it)."""
import os

import pytest

from tests.mutations import CATALOGUE, REPO


@pytest.mark.parametrize("mutation", [m for m in CATALOGUE if m.path], ids=lambda m: m.name)
def test_every_mutation_finds_its_text_once(mutation):
    with open(os.path.join(REPO, mutation.path), encoding="utf-8") as source:
        assert source.read().count(mutation.old) == 1, f"{mutation.name}: its text is gone or ambiguous"


@pytest.mark.parametrize("mutation", CATALOGUE, ids=lambda m: m.name)
def test_every_mutation_names_tests_that_exist(mutation):
    for test in mutation.tests:
        assert os.path.exists(os.path.join(REPO, test.split("::")[0])), test
