"""The Celery app, configured from Django settings (the ``CELERY_`` names in settings.py).

Reliability settings follow Celery's own guidance for work that must not be lost: a task is
acknowledged only after it ran (``acks_late``), a task whose worker died is re-queued
(``reject_on_worker_lost``), each worker reserves one message at a time (prefetch 1), and the
broker's visibility timeout is longer than any countdown we schedule, so a delayed message is
never delivered twice just because it waited.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings")

app = Celery("switchboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
