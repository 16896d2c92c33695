"""The engine as every table uses it: target dispatch by kind, and each table's task wired to
the release of that table's lease."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.utils.module_loading import import_string

from syncs.engine.runs import sync_job_run
from syncs.engine.targets import TARGETS, TargetNotBuilt, target_for
from syncs.models import JobStatus, SyncJob
from syncs.rollback.models import RollbackStep
from syncs.webhooks.models import WebhookDelivery

from .crm_double import MemoryCrm
from .helpers import lead_job

pytestmark = pytest.mark.django_db
TABLES = (SyncJob, RollbackStep, WebhookDelivery)


def test_it_dead_letters_a_job_of_a_kind_no_target_runs_yet(world, crm_a):
    job = lead_job(world.client_a)
    SyncJob.objects.filter(pk=job.pk).update(kind="pos")
    crm = MemoryCrm()
    assert sync_job_run(job.pk, vendor=crm) == JobStatus.DEAD
    job.refresh_from_db()
    assert "No sync target is built for 'pos'" in job.last_error and job.attempts == 1
    assert crm.contacts == {}


def test_the_registry_imports_the_built_targets_and_refuses_the_others():
    assert target_for("crm").__name__ == TARGETS["crm"] == "syncs.crm.sync"
    assert target_for("calendar").__name__ == "syncs.calendar.bookings.sync"
    for kind in ("pos", "fax"):
        with pytest.raises(TargetNotBuilt) as refused:
            target_for(kind)
        assert refused.value.permanent


@pytest.mark.parametrize("model", TABLES, ids=lambda m: m.__name__)
def test_each_tables_task_releases_that_tables_lease(model):
    task = import_string(model.lifecycle.task)
    assert apps.get_model(task.engine_model) is model
    assert task.Request == "syncs.engine.leases:EngineRequest"
