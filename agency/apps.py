from django.apps import AppConfig


class AgencyConfig(AppConfig):
    """The project package doubles as an app for platform-wide models (worker heartbeats)."""

    name = "agency"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from agency import checks  # noqa: F401  (registers deploy checks)
