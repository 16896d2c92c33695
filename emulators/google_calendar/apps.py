from django.apps import AppConfig


class EmulatorGoogleCalendarConfig(AppConfig):
    name = "emulators.google_calendar"
    label = "emulator_google_calendar"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Google Calendar emulator"
