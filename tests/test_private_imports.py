"""No module imports another module's private name (``from x import _y``): of the product's
or of a framework's (Django, DRF, Celery, kombu). A private name is free to change; what a module
offers others it names without the underscore. Tests are not scanned: they may reach inside."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("agency", "common", "tenants", "connectors", "syncs", "emulators")


def private_imports(source: str) -> list[str]:
    """``module._name`` for each private name an import statement in ``source`` takes."""
    found = []
    for stmt in ast.walk(ast.parse(source)):
        if isinstance(stmt, ast.ImportFrom):
            found += [
                f"{stmt.module or '.'}.{alias.name}"
                for alias in stmt.names
                if alias.name.startswith("_") and not alias.name.startswith("__")
            ]
    return found


def test_no_module_imports_a_private_name():
    found = [
        f"{path.relative_to(ROOT)}: {name}"
        for top in SCANNED
        for path in sorted((ROOT / top).rglob("*.py"))
        if "migrations" not in path.parts
        for name in private_imports(path.read_text())
    ]
    assert not found, "\n".join(found)


def test_it_sees_a_private_name_and_lets_an_alias_be():
    source = (
        "from a.b import _c, d as _d\nfrom e import __version__\ndef f():\n    from g import _h\n"
    )
    assert private_imports(source) == ["a.b._c", "g._h"]
