"""Superuser views of the sync state, read-only: fixes go through the services (audited)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from syncs.models import AiEvent, AuditEntry, ExternalRecord, SyncJob


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AiEvent)
class AiEventAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "client", "kind", "status", "chatbot_vendor", "received_at")
    list_filter = ("kind", "status")
    # Arrival order by the primary key: received_at is indexed only after the client (the
    # intake writes no index nothing reads), and this list spans every client.
    ordering = ("-pk",)


@admin.register(SyncJob)
class SyncJobAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "client",
        "provider",
        "status",
        "attempts",
        "kind",
        "external_id",
        "created_at",
    )
    list_filter = ("status", "provider")
    ordering = ("-pk",)  # creation order, by the index every table has (as events above)


@admin.register(ExternalRecord)
class ExternalRecordAdmin(ReadOnlyAdmin):
    list_display = ("client", "provider", "object_type", "external_id", "action", "source_tag")
    list_filter = ("provider", "action", "source_tag")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "client", "actor", "action", "target")
    list_filter = ("action",)
