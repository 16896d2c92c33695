"""The webhook receiving peer (127.0.0.1), for the delivery refusal tests."""

from ..syncs.webhooks.peer import peer  # noqa: F401
