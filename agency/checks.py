"""Deploy checks of our own, run by ``manage.py check --deploy``."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def encryption_keys_are_set(app_configs: object, **kwargs: object) -> list[Error]:
    """Production must not encrypt tokens under a key derived from SECRET_KEY."""
    if getattr(settings, "FIELD_ENCRYPTION_KEYS_DERIVED", False):
        return [
            Error(
                "FIELD_ENCRYPTION_KEYS is not set; tokens would be encrypted with a "
                "development key derived from SECRET_KEY.",
                hint="Set FIELD_ENCRYPTION_KEYS to one or more Fernet keys.",
                id="switchboard.E001",
            )
        ]
    return []
