"""Hypothesis profiles for the suite, and the seed a CI failure is reproduced with
(issue #19, item 7; docs/testing.md).

- `dev` (the default: `./run test` on a laptop): derandomised, so every run tries
  the same examples and a local failure repeats.
- `ci` (.ci/run's embedded pass): new examples every run, drawn from one seed for
  the whole run, printed in the header and again at the end of a failed run.
  Re-run a failure with `HYPOTHESIS_PROFILE=ci MEKTEP_HYPOTHESIS_SEED=<seed> ./run test
  <the test>` (or `--hypothesis-seed=<seed>`); Hypothesis also prints the failing
  example and a `@reproduce_failure` blob.
- `ci-long` (.ci/run's PostgreSQL pass): `ci` with twice the examples.

The profile comes from `HYPOTHESIS_PROFILE` or `--hypothesis-profile`. Tests ask
for their example budget through `fuzz_settings(n)` / `examples(n)` so that it
scales with the profile; run time stays bounded because each budget is fixed
per test, only multiplied.
"""
import os
import random

from hypothesis import HealthCheck, settings

PROFILES = {"dev": 1, "ci": 1, "ci-long": 2}  # name -> how many times each test's examples

settings.register_profile("dev", derandomize=True, database=None, print_blob=True)
settings.register_profile("ci", derandomize=False, database=None, print_blob=True)
settings.register_profile("ci-long", parent=settings.get_profile("ci"))

_chosen = {"profile": "dev", "seed": None}


def configure(config):
    """From the conftest's pytest_configure, before any test module is imported."""
    name = config.getoption("hypothesis_profile", None) or os.environ.get("HYPOTHESIS_PROFILE") or "dev"
    settings.load_profile(name)  # an unknown name is Hypothesis's error, naming the profiles it has
    _chosen["profile"] = name
    if settings.default.derandomize:
        return
    seed = config.getoption("hypothesis_seed", None) or os.environ.get("MEKTEP_HYPOTHESIS_SEED")
    seed = int(seed) if seed else random.SystemRandom().randrange(2**32)
    # Hypothesis's own option: its plugin turns it into the seed of every test.
    config.option.hypothesis_seed = str(seed)
    _chosen["seed"] = seed


def profile():
    return _chosen["profile"]


def examples(n):
    """A test's example budget `n` as the profile scales it."""
    return n * PROFILES.get(_chosen["profile"], 1)


def fuzz_settings(n, **overrides):
    """Settings of a bad-input fuzzer: `n` examples (scaled), no deadline, no health
    checks (their fixtures are heavy on purpose); randomness from the profile."""
    return settings(max_examples=examples(n), deadline=None, suppress_health_check=list(HealthCheck),
                    **overrides)


def reproduction():
    """How to run this run's examples again (None with the derandomised profile)."""
    if _chosen["seed"] is None:
        return None
    return (f"Hypothesis profile {_chosen['profile']!r}, seed {_chosen['seed']}: re-run with "
            f"HYPOTHESIS_PROFILE={_chosen['profile']} MEKTEP_HYPOTHESIS_SEED={_chosen['seed']} ./run test ...")
