"""The CI stage that audits dependencies (issue 15, item 14; ASVS 14.2.1):
.ci/run runs it, a known vulnerability fails it, and an unreachable
vulnerability database is reported as NOT AUDITED instead of pip-audit's
"No known vulnerabilities found" over packages it skipped."""
import importlib.util
import os

from tests.conftest import REPO

spec = importlib.util.spec_from_file_location("audit_dependencies", os.path.join(REPO, ".ci", "audit_dependencies.py"))
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)

SKIPPED = {"dependencies": [
    {"name": "flask", "skip_reason": "Dependency not found on PyPI and could not be audited: flask (3.1.2)"},
    {"name": "mektep1", "skip_reason": "Dependency not found on PyPI and could not be audited: mektep1 (0.1.0)"},
]}
CLEAN = {"dependencies": [{"name": "flask", "version": "3.1.2", "vulns": []},
                          {"name": "mektep1", "skip_reason": "not on PyPI"}]}
VULNERABLE = {"dependencies": [{"name": "jinja2", "version": "2.10", "vulns": [
    {"id": "PYSEC-2019-217", "fix_versions": ["2.10.1"]}]}]}


def test_ci_runs_the_audit_as_its_own_stage():
    with open(os.path.join(REPO, ".ci", "run"), encoding="utf-8") as script:
        assert 'stage "dependency audit (pip-audit)" python3 .ci/audit_dependencies.py' in script.read()


def test_a_known_vulnerability_fails_the_stage():
    status, lines = audit.decide({"pypi": VULNERABLE})
    assert status == 1 and any("jinja2 2.10: PYSEC-2019-217 (fixed in 2.10.1)" in line for line in lines)


def test_every_package_skipped_or_no_service_reached_is_reported_as_not_audited_and_passes():
    for results in ({"pypi": SKIPPED, "osv": None}, {"pypi": None, "osv": None}):
        status, lines = audit.decide(results)
        assert status == 0 and any(line.startswith(audit.NOT_AUDITED) for line in lines)
        assert not any("No known vulnerabilities" in line for line in lines)


def test_an_audit_without_findings_says_how_many_packages_it_audited():
    status, lines = audit.decide({"pypi": CLEAN})
    assert status == 0 and lines[-1] == "No known vulnerabilities in the 1 packages audited."
    assert audit.verdict(CLEAN) == (["flask"], [], [])  # our own editable package is not counted
