"""Sync console routes, included under /console/clients/<uuid:public_id>/ (names in the
``console`` namespace). Every route is in the isolation matrix of tests/tenants/test_scoping.py.
"""

from __future__ import annotations

from django.urls import path

from syncs.appointments import console as console_appointments
from syncs.audit import console as console_monthly
from syncs.console import pages as console
from syncs.console import review as console_review
from syncs.crm import console_mapping, console_merge, console_shadow
from syncs.dedupe import console as console_dedupe
from syncs.rollback import console as console_rollback

urlpatterns = [
    path("events/", console.event_list, name="sync-events"),
    path("events/<uuid:event_id>/", console.event_detail, name="sync-event"),
    path("review/", console_review.review_queue, name="sync-review"),
    path("review/<int:job_id>/release", console_review.review_release, name="sync-review-release"),
    path("mappings/", console_mapping.mapping_index, name="sync-mappings"),
    path("mappings/<int:connection_id>/", console_mapping.mapping_edit, name="sync-mapping"),
    path(
        "mappings/<int:connection_id>/rules/<int:index>/delete",
        console_mapping.mapping_rule_delete,
        name="sync-mapping-rule-delete",
    ),
    path("audit/", console.audit_log, name="sync-audit"),
    path("rollback/", console_rollback.rollback_page, name="sync-rollback"),
    path(
        "rollback/<int:rollback_id>/",
        console_rollback.rollback_report,
        name="sync-rollback-report",
    ),
    path(
        "rollback/<int:rollback_id>/resume",
        console_rollback.rollback_resume_view,
        name="sync-rollback-resume",
    ),
    path("metrics/", console.metrics, name="sync-metrics"),
    path(
        "bookings/<uuid:booking_id>/outcome",
        console_appointments.booking_outcome,
        name="booking-outcome",
    ),
    path("monthly-audit/", console_monthly.monthly_audit_view, name="sync-monthly-audit"),
    path("shadow/", console.shadow_records, name="sync-shadow"),
    path(
        "shadow/<int:connection_id>/switch",
        console_shadow.shadow_switch,
        name="sync-shadow-switch",
    ),
    path("duplicates/", console_dedupe.duplicates, name="sync-duplicates"),
    path(
        "duplicates/<int:candidate_id>/merge",
        console_merge.duplicate_merge,
        name="sync-duplicate-merge",
    ),
    path(
        "duplicates/<int:candidate_id>/<slug:decision>",
        console_dedupe.duplicate_decide,
        name="sync-duplicate-decide",
    ),
]
