from django.apps import AppConfig


class EmulatorGraphConfig(AppConfig):
    name = "emulators.graph"
    label = "emulator_graph"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Microsoft Graph calendar emulator"
