"""axe-core (from the npm registry, tests/browser/package.json; `./run chromium`
installs it) run in the page the browser shows: the violations of a page, the
serious and critical ones first."""
import os

import pytest

AXE = os.path.join(os.path.dirname(__file__), "node_modules", "axe-core", "axe.min.js")
BLOCKING = ("serious", "critical")


def axe_source():
    if not os.path.exists(AXE):
        pytest.skip(f"{AXE} is absent: ./run chromium installs axe-core (npm ci --prefix tests/browser)")
    with open(AXE, encoding="utf-8") as source:
        return source.read()


def violations(page, source, impacts=BLOCKING):
    """["rule (impact): target, ..."] of the page as it is now. The script is added
    through the DevTools protocol, so a page's CSP does not stop it."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    found = page.evaluate("""async () => {
        const result = await window.axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact,
            targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")
    return [f"{v['id']} ({v['impact']}): {', '.join(v['targets'])}" for v in found if v["impact"] in impacts]
