"""The platform admin's event and job lists: newest first, by the primary key (the intake
keeps no index on arrival time across clients)."""

from __future__ import annotations

import pytest

from syncs.intake.services import event_create
from syncs.models import AiEvent, SyncJob

from ..conftest import make_user
from .conftest import LEAD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("path", "model"), [("aievent", AiEvent), ("syncjob", SyncJob)])
def test_the_admin_lists_events_and_jobs_newest_first(client, world, path, model):
    for n in range(3):
        event_create(client=world.client_a, kind="lead.captured", payload={**LEAD, "n": n})
    client.force_login(make_user("root@platform.example", is_superuser=True, is_staff=True))
    response = client.get(f"/admin/syncs/{path}/")
    assert response.status_code == 200
    changelist = response.context["cl"]
    newest_first = list(model.objects.order_by("-pk").values_list("pk", flat=True))
    assert [row.pk for row in changelist.result_list] == newest_first
    table = model._meta.db_table
    assert str(changelist.queryset.query).endswith(f'ORDER BY "{table}"."id" DESC')
