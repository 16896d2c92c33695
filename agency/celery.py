"""The Celery app, configured from Django settings (the ``CELERY_`` names in settings.py).

Reliability settings follow Celery's own guidance for work that must not be lost: a task is
acknowledged only after it ran (``acks_late``), a task whose worker died is re-queued
(``reject_on_worker_lost``), each worker reserves one message at a time (prefetch 1), and the
broker's visibility timeout is longer than any countdown we schedule, so a delayed message is
never delivered twice just because it waited.

Database connections outlive a task, as they outlive a web request: Celery's Django fixup
closes every connection before and after each task unless ``CELERY_DB_REUSE_MAX`` is set (a
new PostgreSQL backend per task, with its cold catalogue caches, cost more than the task's own
queries). With it set, ``_recycle_connections`` applies Django's request-boundary rule instead:
a connection is closed when it is broken, left outside autocommit, or older than
``CONN_MAX_AGE``, and with ``CONN_HEALTH_CHECKS`` the next task checks it before use.
"""

from __future__ import annotations

import importlib
import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init
from django.db import connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings")

app = Celery("switchboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The syncs app keeps its tasks beside the package that owns them.
app.autodiscover_tasks(
    [
        "syncs.engine",
        "syncs.rollback",
        "syncs.webhooks",
        "syncs.dedupe",
        "syncs.calendar",
        "syncs.calendar.bookings",
        "syncs.appointments",
    ]
)

# Imported by the parent worker before it forks its pool, so each child starts with the sync
# engine and the connector clients loaded (shared copy-on-write) instead of importing them
# during its first job; a first lead after a restart is then as fast as any other.
WARM_MODULES = (
    "syncs.engine.runs",
    "syncs.crm.sync",
    "syncs.dedupe",
    "syncs.rollback.services",
    "syncs.webhooks.delivery",
    "connectors.registry",
    "connectors.tokens",
)


@worker_init.connect
def _warm_imports(**_: object) -> None:
    for name in WARM_MODULES:
        importlib.import_module(name)
    from connectors import registry

    for slug in registry.slugs():
        registry.module_for(slug, "client")  # None for a provider without a client yet


@task_prerun.connect
@task_postrun.connect
def _recycle_connections(task: object = None, **_: object) -> None:
    """Close the database connections a task should not reuse (see the module docstring).

    Not for an eager task: it runs inside its caller's transaction, which must stay open."""
    request = getattr(task, "request", None)
    if getattr(request, "is_eager", False):
        return
    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
