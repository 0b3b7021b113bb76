"""ARCHITECTURE.md's layer rules, checked on the imports of every module (read with ``ast``).

The layer table is read from ARCHITECTURE.md itself, so the page and this test cannot drift
apart: a module the table does not name fails here, as does any import the rules forbid and any
import circle. The second half feeds the checker forbidden imports to show that it catches them.
"""

from __future__ import annotations

import ast
import re
import sys
from fnmatch import fnmatch
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "mockserver"
HTTP = ("flask", "werkzeug")
NO_HTTP_LAYERS = ("base", "domain", "store", "config")
SIBLINGS = ("api", "control")  # interfaces that never import each other
# contract_tests modules that may import the mock, and what of it
SUITE_ALLOWED = {
    "contract_tests.target": {"app", "auth", "mock", "settings", "profile"},
    "contract_tests.settings": {"settings", "contacts.rules", "profile", "urls"},
    "contract_tests.schema": {"spec", "profile"},
    "contract_tests.oracle": {"spec", "profile"},
    "contract_tests.observed": {"profile"},
    "contract_tests.conftest": {"ci"},
}

Graph = dict[str, set[str]]  # module -> the modules it imports (any package)


def layer_table() -> list[tuple[str, list[str]]]:
    """(layer, module patterns) from ARCHITECTURE.md, lowest layer first."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- layers:.*?-->\s*```\n(.*?)```", text, re.DOTALL)
    assert block, "ARCHITECTURE.md has no layer table"
    rows = [line.split() for line in block.group(1).splitlines() if line.strip()]
    return [(row[0], row[1:]) for row in reversed(rows)]


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1] if parts[:-1] != [PACKAGE] else [PACKAGE, "__init__"]
    return ".".join(parts)


def imports_of(source: str, module: str, known: set[str]) -> set[str]:
    """Every module ``source`` imports, wherever the import statement is (lazy ones too)."""
    package = module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    return {_package_init(name) for name in found}


def _package_init(name: str) -> str:
    return f"{PACKAGE}.__init__" if name == PACKAGE else name


def read_graph(*packages: str) -> Graph:
    files = {module_name(p): p for pkg in packages for p in sorted((ROOT / pkg).rglob("*.py"))}
    known = set(files) | {name.removesuffix(".__init__") for name in files}
    return {
        name: imports_of(path.read_text(encoding="utf-8"), name, known)
        for name, path in files.items()
    }


def layer_of(module: str, table: list[tuple[str, list[str]]]) -> tuple[int, str] | None:
    inner = module.removeprefix(PACKAGE + ".")
    for rank, (layer, patterns) in enumerate(table):
        if any(inner == p or fnmatch(inner, p) or inner == p.removesuffix(".*") for p in patterns):
            return rank, layer
    return None


def violations(graph: Graph, table: list[tuple[str, list[str]]]) -> list[str]:
    """Every breach of ARCHITECTURE.md's rules in ``graph``, as sentences."""
    found: list[str] = []
    ours = {m: {t for t in targets if t.split(".")[0] == PACKAGE} for m, targets in graph.items()}
    for module, targets in sorted(graph.items()):
        if not module.startswith(PACKAGE + "."):
            found += _suite_violations(module, ours[module])
            continue
        where = layer_of(module, table)
        if where is None:
            found.append(f"{module} is in no layer of ARCHITECTURE.md's table")
            continue
        rank, layer = where
        for target in sorted(ours[module]):
            target_where = layer_of(target, table)
            if target_where is None:
                continue  # reported as a module of its own
            if target_where[0] > rank:
                found.append(f"{module} ({layer}) imports {target} ({target_where[1]}), above it")
            if target == f"{PACKAGE}.app" and layer != "entry":
                found.append(f"{module} imports the factory {target}; only entry points may")
            if {_sibling(module), _sibling(target)} == set(SIBLINGS):
                found.append(f"{module} imports {target}: api/ and control/ stay apart")
        third_party = {t.split(".")[0] for t in targets} - {PACKAGE}
        if layer in NO_HTTP_LAYERS and third_party & set(HTTP):
            found.append(f"{module} ({layer}) imports {sorted(third_party & set(HTTP))}")
        if layer == "domain":
            outside = sorted(t for t in third_party if t not in sys.stdlib_module_names)
            if outside:
                found.append(f"{module} (domain) imports {outside}, not the standard library")
    internal = {m: t for m, t in ours.items() if m.startswith(PACKAGE + ".")}
    try:
        TopologicalSorter(internal).prepare()
    except CycleError as exc:
        found.append("import circle: " + " -> ".join(exc.args[1]))
    return found


def _sibling(module: str) -> str | None:
    """``api`` or ``control`` for a module of those packages."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in SIBLINGS else None


def _suite_violations(module: str, targets: set[str]) -> list[str]:
    allowed = {f"{PACKAGE}.{name}" for name in SUITE_ALLOWED.get(module, set())}
    return [
        f"{module} imports {target}: the contract suite uses the mock only as a target"
        for target in sorted(targets - allowed)
    ]


# -- the rules hold ------------------------------------------------------------------------


def test_every_module_keeps_the_layer_rules_of_architecture_md():
    assert violations(read_graph(PACKAGE, "contract_tests"), layer_table()) == []


def test_every_layer_of_the_table_names_existing_modules():
    graph = read_graph(PACKAGE)
    for layer, patterns in layer_table():
        for pattern in patterns:
            assert any(layer_of(m, [(layer, [pattern])]) for m in graph), (layer, pattern)


# -- and the checker catches a breach --------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "source", "complaint"),
    [
        ("mockserver.contacts.service", "import flask", "(domain) imports ['flask']"),
        ("mockserver.contacts.rules", "import yaml", "not the standard library"),
        ("mockserver.contacts.service", "from mockserver.store import base", "(store), above"),
        ("mockserver.contacts.model", "def f():\n    from mockserver import journal", "above"),
        ("mockserver.store.postgres", "from flask import g", "(store) imports ['flask']"),
        ("mockserver.runtime", "from flask import g", "(config) imports ['flask']"),
        ("mockserver.control.routes", "from mockserver.app import create_app", "the factory"),
        ("mockserver.api.hooks", "from mockserver.control import routes", "stay apart"),
        ("mockserver.control.routes", "from mockserver.api.handlers import X", "stay apart"),
        ("mockserver.mock", "from mockserver.responses import json_response", "import circle"),
        ("mockserver.spec", "from mockserver.contacts import model", "above it"),
        ("contract_tests.checks", "from mockserver.spec import items_check", "only as a target"),
        ("mockserver.brand_new", "import os", "in no layer"),
    ],
)
def test_a_forbidden_import_is_reported(module, source, complaint):
    graph = read_graph(PACKAGE, "contract_tests")
    known = set(graph) | {name.removesuffix(".__init__") for name in graph}
    graph[module] = graph.get(module, set()) | imports_of(source, module, known)
    found = violations(graph, layer_table())
    assert any(complaint in sentence and module in sentence for sentence in found), found
