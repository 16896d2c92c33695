from django.contrib import admin

from tenants.forms import ProviderChoices
from tenants.models import Agency, ApiKey, Client, Membership


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    form = ProviderChoices
    list_display = ("name", "agency", "slug", "crm_provider", "calendar_provider", "pos_provider")
    list_filter = ("agency",)
    search_fields = ("name", "slug")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "agency", "role")
    list_filter = ("agency", "role")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "client", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "last_used_at")
    exclude = ("key_hash",)

    def has_add_permission(self, request: object) -> bool:
        return False  # keys are issued in the console, where the raw key is shown once
