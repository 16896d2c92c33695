"""A claimed job is loaded in one query (select_related and an Exists annotation), with the
same values as loading each row by itself, relations included."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connectors.models import Connection
from syncs.engine.runs import load_job
from syncs.intake.services import event_create
from syncs.models import AiEvent, FieldMapping, SyncJob
from tests.conftest import require

from .conftest import LEAD
from .helpers import lead_job

pytestmark = pytest.mark.django_db


def columns(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_it_loads_the_job_with_its_event_client_connection_and_mapping(world, crm_a):
    crm_a.access_token, crm_a.refresh_token = "secret-access", "secret-refresh"
    crm_a.token_expires_at = timezone.now() + timedelta(hours=1)
    crm_a.settings = {"follow_up_tags": ["lead"]}
    crm_a.save()
    rules = [{"source": "email", "target": "email", "transform": "lower", "args": {}}]
    mapping = FieldMapping.objects.create(client=world.client_a, connection=crm_a, rules=rules)
    job = lead_job(world.client_a)
    SyncJob.objects.filter(pk=job.pk).update(overrides={"phone": "+14155552671"})

    with CaptureQueriesContext(db) as queries:
        loaded = load_job(job.pk)
        seen = (
            loaded.event.payload,
            loaded.client.default_region,
            loaded.connection.access_token,
            loaded.connection.field_mapping.rules,
            loaded.event.client.name,
        )
    assert len(queries) == 1, [q["sql"] for q in queries.captured_queries]
    assert seen[2] == "secret-access" and seen[3] == rules
    assert columns(loaded) == columns(SyncJob.objects.get(pk=job.pk))
    assert columns(loaded.event) == columns(AiEvent.objects.get(pk=job.event_id))
    assert columns(loaded.client) == columns(
        world.client_a.__class__.objects.get(pk=world.client_a.pk)
    )
    assert columns(loaded.connection) == columns(Connection.objects.get(pk=crm_a.pk))
    assert columns(loaded.connection.field_mapping) == columns(mapping)
    assert loaded.has_siblings is False
    assert not loaded._state.adding and loaded.connection._state.db == "default"


def test_a_connection_without_a_mapping_reads_as_none_without_a_query(world, crm_a):
    from syncs.crm.mapping import rules_for

    loaded = load_job(lead_job(world.client_a).pk)
    with CaptureQueriesContext(db) as queries:
        rules = rules_for(loaded.connection)
    assert len(queries) == 0 and rules and rules[0]["transform"] == "copy"


def test_a_job_without_a_connection_and_one_with_a_sibling(world, crm_a):
    world.client_a.crm_provider = ""
    world.client_a.save()
    Connection.objects.create(client=world.client_a, provider="salesforce", kind="crm")
    event = event_create(client=world.client_a, kind="lead.captured", payload=LEAD)
    first, second = SyncJob.objects.filter(event=event).order_by("pk")
    assert load_job(first.pk).has_siblings and load_job(second.pk).has_siblings

    alone = event_create(client=world.client_b, kind="lead.captured", payload=LEAD)
    waiting = SyncJob.objects.get(event=alone)
    loaded = load_job(waiting.pk)
    assert waiting.connection_id is None and loaded.connection is None
    assert loaded.has_siblings is False and loaded.client == world.client_b
    assert load_job(waiting.pk + 1000) is None


@pytest.mark.django_db(transaction=True)
def test_threads_loading_at_once_each_get_their_own_job(world, crm_a):
    """``load_job`` chains one queryset built at import; runs in a threads pool load through
    it at the same moment, and each must get its own row and its own ``has_siblings``."""
    require(db.vendor == "postgresql", "needs PostgreSQL (DATABASE_URL)")
    alone = [lead_job(world.client_a).pk for _ in range(8)]
    world.client_b.crm_provider = ""
    world.client_b.save()
    Connection.objects.create(client=world.client_b, provider="salesforce", kind="crm")
    Connection.objects.create(client=world.client_b, provider="hubspot", kind="crm")
    paired = [
        pk
        for _ in range(4)
        for pk in SyncJob.objects.filter(
            event=event_create(client=world.client_b, kind="lead.captured", payload=LEAD)
        ).values_list("pk", flat=True)
    ]
    barrier = threading.Barrier(8)

    def load(pk: int) -> tuple[int, int, bool, int]:
        try:
            barrier.wait()
            job = load_job(pk)
            assert job is not None
            return job.pk, job.event_id, job.has_siblings, job.client_id
        finally:
            db.close()

    wanted = alone + paired
    with ThreadPoolExecutor(max_workers=8) as pool:
        loaded = list(pool.map(load, wanted))
    rows = SyncJob.objects.in_bulk(wanted)
    assert [row[0] for row in loaded] == wanted
    assert [(row[1], row[3]) for row in loaded] == [
        (rows[pk].event_id, rows[pk].client_id) for pk in wanted
    ]
    assert [row[2] for row in loaded] == [False] * len(alone) + [True] * len(paired)
