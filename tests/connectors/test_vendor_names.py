"""No vendor's name is written into product code outside its own package: every list, branch
and fact about a vendor comes from the registry and the vendor's spec.

Scanned: the product's Python, templates and scripts. Not scanned: ``connectors/<vendor>/``
(the vendor's own package), ``emulators/`` (stand-ins for the vendors), migrations and tests.
A name in prose (a comment saying why, citing a vendor's quirk) is fine; what is refused is
the slug as a string literal or a dotted import of a vendor package.
"""

from __future__ import annotations

import re
from pathlib import Path

from connectors import registry

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("agency", "common", "connectors", "syncs", "tenants", "templates", "static")
SUFFIXES = {".py", ".html", ".js"}
# (file, slug) -> why the name must stay there.
ALLOWED = {
    **{
        ("connectors/registry.py", slug): "the registry's one line per provider"
        for slug in registry.PROVIDERS
    },
    ("syncs/intake/api.py", "hubspot"): "an example answer in the OpenAPI document",
    ("syncs/calendar/bookings/api.py", "google"): "an example answer in the OpenAPI document",
    ("syncs/dedupe/__init__.py", "hubspot"): "a usage example in the package docstring",
    ("syncs/management/commands/seed_demo.py", "hubspot"): "the demo's emulated CRM",
    ("syncs/management/commands/seed_demo.py", "google"): "the demo's emulated calendar",
    ("syncs/management/commands/seed_demo.py", "square"): "the demo's emulated POS",
}


def _vendor_name(slugs: list[str]) -> re.Pattern[str]:
    names = "|".join(map(re.escape, slugs))
    return re.compile(rf"""(["'])({names})\1|\bconnectors\.({names})\b""")


def _scanned(slugs: list[str]) -> list[Path]:
    files = []
    for top in PRODUCT:
        for path in sorted((ROOT / top).rglob("*")):
            parts = path.relative_to(ROOT).parts
            if path.suffix not in SUFFIXES or "migrations" in parts:
                continue
            if parts[:2] == ("templates", "emulators"):
                continue
            if parts[0] == "connectors" and len(parts) > 2 and parts[1] in slugs:
                continue
            files.append(path)
    return files


def vendor_names_in_product(slugs: list[str]) -> set[tuple[str, str]]:
    """``(file, slug)`` for every vendor slug written as a literal outside its package."""
    pattern, found = _vendor_name(slugs), set()
    for path in _scanned(slugs):
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            found.add((path.relative_to(ROOT).as_posix(), match.group(2) or match.group(3)))
    return found


def test_no_vendor_is_named_outside_its_package():
    found = vendor_names_in_product(list(registry.PROVIDERS))
    assert found - set(ALLOWED) == set()


def test_every_allowed_name_is_still_there():
    """An exception nobody needs any more is removed from the list, not kept."""
    assert set(ALLOWED) - vendor_names_in_product(list(registry.PROVIDERS)) == set()


def test_it_finds_a_vendor_named_in_a_branch(tmp_path, monkeypatch):
    """The scan itself: a branch on a vendor's name in product code is found."""
    (tmp_path / "syncs").mkdir()
    (tmp_path / "syncs" / "bad.py").write_text('if provider == "zoho":\n    pass\n')
    (tmp_path / "syncs" / "also.py").write_text("from connectors.toast import login\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert vendor_names_in_product(["zoho", "toast"]) == {
        ("syncs/bad.py", "zoho"),
        ("syncs/also.py", "toast"),
    }
