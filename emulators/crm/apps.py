from django.apps import AppConfig


class EmulatorCrmConfig(AppConfig):
    name = "emulators.crm"
    label = "emulator_crm"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "CRM emulators"
