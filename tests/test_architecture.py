"""The shape of the code (docs/architecture.md): the layers of `.importlinter`
hold, and no two modules import each other, directly or through others.

A cycle is the sign of a dependency that points the wrong way (STYLE.md): the
answer is to turn it around (the domain writes outbox rows, the jobs package
relays them; jobs are enqueued by name; the error pages are handed to
`portal.errors` by the factory), not to hide the import inside a function,
which these checks see as well.
"""
import os
import subprocess
import sys

import grimp

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The one import that closes a loop on purpose: a job run by a plain `rq worker`
# builds its application from the composition root (portal.create_app).
COMPOSITION_ROOT = [("portal.jobs.queues", "portal")]


def test_the_layers_hold():
    lint_imports = os.path.join(os.path.dirname(sys.executable), "lint-imports")
    result = subprocess.run([lint_imports, "--no-cache"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_no_module_imports_one_that_imports_it_back():
    graph = grimp.build_graph("portal", "admin", "forms", cache_dir=None)
    for importer, imported in COMPOSITION_ROOT:
        graph.remove_import(importer=importer, imported=imported)
    cycles = sorted(
        {tuple(sorted((importer, imported)))
         for importer in graph.modules
         for imported in graph.find_modules_directly_imported_by(importer)
         if graph.chain_exists(importer=imported, imported=importer)}
    )
    described = [" -> ".join(graph.find_shortest_chain(importer=b, imported=a)) + f" -> {b}" for a, b in cycles]
    assert not cycles, "import cycles:\n" + "\n".join(described)
