"""What a checkout leaves in its tree stays out of commits: the rules of ``.gitignore``, read
by git itself in a throwaway repository (this checkout's own exclude file could hide a gap)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("link", [True, False], ids=["symlink", "directory"])
def test_it_ignores_the_virtual_environment(tmp_path, link):
    shutil.copy(ROOT / ".gitignore", tmp_path / ".gitignore")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    target = tmp_path / "elsewhere"
    target.mkdir()
    if link:
        (tmp_path / ".venv").symlink_to(target)  # a worktree sharing one environment
    else:
        (tmp_path / ".venv").mkdir()
    ignored = subprocess.run(
        ["git", "-C", str(tmp_path), "check-ignore", "-q", ".venv"], check=False
    )
    assert ignored.returncode == 0
