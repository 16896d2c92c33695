"""No import cycles between the product's packages, and the layers hold: ``common`` imports no
app, ``tenants`` only ``common``, ``connectors`` never ``syncs``, and ``agency`` (the project's
wiring: settings, root URLs, the Celery app) sits above them all.

The graph is built from the source with ``ast`` (nothing is imported), at package granularity:
``syncs.<package>`` for the packages of ``syncs`` and the top-level app for the others. Imports
inside functions count as much as those at module level: a cycle hidden in a function is still
a cycle, only one that fails later. The models of ``syncs`` are one node, ``syncs.models``,
wherever their module lives (``syncs/<package>/models.py``): Django loads an app's models as one
unit, from the index ``syncs/models.py``.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("agency", "common", "tenants", "connectors", "syncs", "emulators")


def node_of(module: str) -> str | None:
    """The graph node a dotted module name belongs to; None outside the product."""
    parts = module.split(".")
    if parts[0] not in PRODUCT:
        return None
    if parts[0] != "syncs" or len(parts) == 1:
        return parts[0]
    if parts[-1] == "models" or parts[1] == "models":
        return "syncs.models"
    if parts[1] == "migrations":
        return None  # a migration is history, written against the models of its day
    if (ROOT / "syncs" / parts[1]).is_dir():
        return f"syncs.{parts[1]}"
    return "syncs"  # a module at the top of syncs (apps, admin, ...)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Every module an import statement anywhere in ``tree`` names (relative ones resolved)."""
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.Import):
            yield from (alias.name for alias in stmt.names)
        elif isinstance(stmt, ast.ImportFrom):
            if stmt.level:
                base = module.split(".")
                base = base[: len(base) - stmt.level + (1 if is_package else 0)]
                name = ".".join([*base, stmt.module] if stmt.module else base)
            else:
                name = stmt.module or ""
            names = [f"{name}.{alias.name}" for alias in stmt.names]
            # ``from syncs import dedupe`` imports the package syncs.dedupe (and only the
            # package's empty ``__init__`` of syncs); ``from syncs.models import X`` the module
            submodules = [n for n in names if _is_module(n)]
            yield from submodules or [name]


def import_graph() -> dict[str, dict[str, str]]:
    """node → {node it imports: one module that does it, for the message}."""
    graph: dict[str, dict[str, str]] = {}
    for top in PRODUCT:
        for path in sorted((ROOT / top).rglob("*.py")):
            module = module_name(path)
            source = node_of(module)
            if source is None:
                continue
            tree = ast.parse(path.read_text(), str(path))
            edges = graph.setdefault(source, {})
            for name in imported(tree, module, path.name == "__init__.py"):
                target = node_of(name)
                if target is not None and target != source and _exists(name):
                    edges.setdefault(target, module)
    return graph


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


def _exists(name: str) -> bool:
    """A product module (or top-level package) that exists."""
    return _is_module(name) or "." not in name


def cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """Every elementary cycle's nodes, found by a depth-first search from each node (small
    graph: a dozen nodes)."""
    found: list[list[str]] = []
    seen: set[frozenset[str]] = set()

    def walk(path: list[str]) -> None:
        for nxt in graph.get(path[-1], {}):
            if nxt == path[0]:
                key = frozenset(path)
                if key not in seen:
                    seen.add(key)
                    found.append([*path, path[0]])
            elif nxt not in path and nxt > path[0]:
                walk([*path, nxt])

    for start in sorted(graph):
        walk([start])
    return found


def describe(cycle: list[str], graph: dict[str, dict[str, str]]) -> str:
    return (
        " → ".join(f"{a} ({graph[a][b]})" for a, b in itertools.pairwise(cycle)) + f" → {cycle[-1]}"
    )


def test_it_finds_no_cycle_between_the_product_packages():
    graph = import_graph()
    found = [describe(c, graph) for c in cycles(graph)]
    assert not found, "import cycles:\n" + "\n".join(found)


def test_common_imports_no_package_of_the_product():
    """``common`` is below every app: what it needs from one is passed in or named in settings."""
    assert import_graph().get("common") == {}


def test_tenants_imports_no_app_above_it():
    """``tenants`` asks the provider registry through ``settings.PROVIDER_REGISTRY``
    (``tenants.providers``): ``connectors``, ``syncs`` and ``agency`` all sit above it."""
    assert set(import_graph().get("tenants", {})) <= {"common"}


def test_connectors_never_imports_syncs():
    graph = import_graph()
    assert not [n for n in graph.get("connectors", {}) if n.startswith("syncs")], graph[
        "connectors"
    ]


def test_it_sees_an_import_inside_a_function():
    source = "def f():\n    from syncs.crm import sync\n"
    names = list(imported(ast.parse(source), "syncs.engine.jobs", False))
    assert "syncs.crm.sync" in names and node_of("syncs.crm.sync") == "syncs.crm"


def test_it_reports_a_cycle_with_the_modules_that_make_it():
    graph = {"a": {"b": "a.x"}, "b": {"c": "b.y"}, "c": {"a": "c.z"}, "d": {"a": "d.w"}}
    assert [describe(c, graph) for c in cycles(graph)] == ["a (a.x) → b (b.y) → c (c.z) → a"]
