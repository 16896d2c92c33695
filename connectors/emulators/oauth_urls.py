"""OAuth emulator routes (filled in with the OAuth engine)."""

from __future__ import annotations

urlpatterns: list = []
