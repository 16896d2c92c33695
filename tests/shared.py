"""The team's shared folder, read in place and never copied: ``SWITCHBOARD_SHARED_DIR``, or
``shared/`` beside the checkout (``../shared`` from the project's root)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("SWITCHBOARD_SHARED_DIR") or ROOT.parent / "shared")


def shared_file(*parts: str) -> Path:
    """A file of the shared folder (its existence is the caller's to require)."""
    return SHARED_DIR.joinpath(*parts)
