from django.apps import AppConfig


class EmulatorsConfig(AppConfig):
    name = "emulators"
    label = "emulators"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Vendor emulators"
