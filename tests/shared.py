"""The team's shared folder, read in place and never copied: ``SWITCHBOARD_SHARED_DIR``, else
the nearest ``shared/`` beside the checkout or one of its parents (``../shared`` from the
project's root in the team's layout; a worktree or clone deeper down still finds it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _find_shared() -> Path | None:
    configured = os.environ.get("SWITCHBOARD_SHARED_DIR")
    if configured:
        return Path(configured)
    for parent in ROOT.parents:
        candidate = parent / "shared"
        if (candidate / "ARCHITECTURE.md").is_file():
            return candidate
    return None


SHARED_DIR = _find_shared()


def shared_file(*parts: str) -> Path | None:
    """A file of the shared folder, or None when there is no shared folder (or no such file)."""
    if SHARED_DIR is None:
        return None
    path = SHARED_DIR.joinpath(*parts)
    return path if path.is_file() else None


def require_shared(path: Path | None, what: str) -> Path:
    """Skip a test whose input lives in the shared folder when this checkout has none beside it.

    Not a CI failure (unlike a missing service): the folder is the team's, outside the
    repository, and set with ``SWITCHBOARD_SHARED_DIR`` where it is elsewhere."""
    if path is None:
        pytest.skip(f"{what}: no shared folder found (set SWITCHBOARD_SHARED_DIR)")
    return path
