"""The README's screenshots: every page `make screenshots` saves is committed, linked from the
README, and 1366x900 (read from each PNG's header, so no image library is needed)."""

from __future__ import annotations

import re
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"


def saved_by_the_script() -> set[str]:
    script = (ROOT / "scripts" / "screenshots.py").read_text()
    return {f"{name}.png" for name in re.findall(r'shot\(\w+, "([\w-]+)"\)', script)}


def test_every_screenshot_the_script_takes_is_committed_and_linked():
    names = saved_by_the_script()
    assert len(names) >= 10
    readme = (ROOT / "README.md").read_text()
    for name in sorted(names):
        assert (SHOTS / name).is_file(), f"{name}: run `make screenshots` and commit it"
        assert f"docs/screenshots/{name}" in readme, f"{name} is not linked from the README"
    assert {p.name for p in SHOTS.glob("*.png")} == names, "a screenshot no one regenerates"


def test_they_are_1366_by_900():
    for path in SHOTS.glob("*.png"):
        header = path.read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n", path.name
        assert struct.unpack(">II", header[16:24]) == (1366, 900), path.name
