"""Models of the syncs app; each part keeps its own module and is re-exported here."""

from syncs.dedupe.models import *  # noqa: F403
from syncs.dedupe.models import __all__ as _dedupe_all

__all__ = [*_dedupe_all]
