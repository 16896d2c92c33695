"""JSON state per key in files under one folder, changed under an exclusive ``flock``.

The embedded mode (no ``REDIS_URL``: one machine, several processes) keeps the vendor rate
buckets (``connectors.ratelimit``) and concurrency slots (``connectors.concurrency``) here.
``flock`` serialises the processes of one machine, and they share its wall clock
(``time.time``), which is all either store needs. Each of them also keeps a Redis store for
production; ``shared_backend`` picks one of the two the same way for both.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings

__all__ = ["FileStore", "LockedJsonFiles", "shared_backend"]

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class LockedJsonFiles:
    """One JSON file per key, read, changed and written back under the key's lock."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()[:12]
        return self.directory / f"{_SAFE.sub('_', key)[:80]}-{digest}.json"

    def update(self, key: str, change: Callable[[Any, float], Any]) -> None:
        """Run ``change(stored value or None, now)`` under the key's lock; a value it returns
        other than None is stored. A torn or foreign file reads as None (nothing stored)."""
        fd = os.open(self.path(key), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with os.fdopen(os.dup(fd), "r+", encoding="utf-8") as fh:
                raw = fh.read()
                try:
                    stored = json.loads(raw) if raw else None
                except ValueError:
                    stored = None
                new = change(stored, time.time())
                if new is not None:
                    fh.seek(0)
                    fh.truncate()
                    fh.write(json.dumps(new))
                    fh.flush()
        finally:
            os.close(fd)  # closing the last descriptor releases the lock

    def reset(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def reset_all(self) -> None:
        for path in self.directory.glob("*.json"):
            path.unlink(missing_ok=True)


class FileStore:
    """Base of a store kept in ``LockedJsonFiles``: its keys are reset as files."""

    def __init__(self, directory: Path) -> None:
        self.files = LockedJsonFiles(directory)

    def reset(self, key: str) -> None:
        self.files.reset(key)

    def reset_all(self) -> None:
        self.files.reset_all()


R = TypeVar("R")
F = TypeVar("F")
_backends: dict[tuple[str, str], Any] = {}
_backends_lock = threading.Lock()


def shared_backend(
    kind: str, redis_store: Callable[[str], R], file_store: Callable[[Path], F]
) -> R | F:
    """The store of ``kind``: Redis when ``REDIS_URL`` is set, else files under
    ``VAR_DIR/<kind>``; one instance per kind and target, so a process keeps one client."""
    url = getattr(settings, "REDIS_URL", "") or ""
    target = url or str(Path(settings.VAR_DIR) / kind)
    with _backends_lock:
        backend = _backends.get((kind, target))
        if backend is None:
            backend = redis_store(url) if url else file_store(Path(target))
            _backends[(kind, target)] = backend
        return backend
