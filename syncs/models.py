"""Models of the syncs app; each part keeps its own module and is re-exported here."""

from syncs.webhooks.models import *  # noqa: F403
from syncs.webhooks.models import __all__ as _webhooks_all

__all__ = [*_webhooks_all]
