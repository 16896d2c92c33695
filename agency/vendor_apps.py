"""Our app's credentials at each vendor, read for every registered provider.

``agency.settings`` calls this in one loop over the registry, so a new provider's
``<SLUG>_CLIENT_ID`` / ``<SLUG>_CLIENT_SECRET`` are read without editing settings.
"""

from __future__ import annotations

from collections.abc import Iterable

import environ


def app_credentials(env: environ.Env, slugs: Iterable[str], *, demo: bool) -> dict[str, str]:
    """``{"<SLUG>_CLIENT_ID": ..., "<SLUG>_CLIENT_SECRET": ...}`` for each slug, from the
    environment. With ``demo`` (the emulators on) an unset one gets the value the emulators
    accept; otherwise it is empty, which means "not offered"."""
    values: dict[str, str] = {}
    for slug in slugs:
        for part, word in (("CLIENT_ID", "client"), ("CLIENT_SECRET", "secret")):
            name = f"{slug.upper()}_{part}"
            values[name] = env.str(name, default=f"demo-{slug}-{word}" if demo else "")
    return values
