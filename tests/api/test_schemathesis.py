"""Property-based API testing from our own OpenAPI schema (Schemathesis), with two clients' keys.

Every operation, every generated input, positive and negative, through every phase (examples,
coverage and fuzzing per operation; stateful sequences along the inferred links) and with every
built-in check on, named here so a change of Schemathesis's defaults cannot switch one off: no
5xx, status codes, content types, headers and bodies as documented, schema-invalid input
refused and schema-valid input accepted, auth enforced, deleted resources gone, and errors are
problem+json. Runs 100 examples per operation (20 stateful runs) under CI: about 1.5 to 3
minutes on the shared 2-core host (2026-12-05), most of it the per-operation tests.
"""

from __future__ import annotations

import os
import uuid

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck, settings

from agency.wsgi import application
from syncs.intake.services import event_create
from syncs.models import EventKind, IdempotencyRecord
from syncs.webhooks.services import endpoint_create
from tenants.models import Client

from ..conftest import IN_CI

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
schema.config.checks.update(included_check_names=["all"])
schema.config.phases.update(phases=["examples", "coverage", "fuzzing", "stateful"])
schema.config.generation.update(modes=["positive", "negative"])
EXAMPLES = 100 if IN_CI else int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))


@pytest.fixture(params=["a", "b"])
def caller(request, world) -> tuple[str, Client | None]:
    """Client A's key with its own ids put into generated paths, so the routes behind an id
    are exercised (a generated id is always someone else's: 404); client B's key keeps the
    generated ids, so their 404s are checked too."""
    if request.param == "a":
        return world.key_a, world.client_a
    return world.key_b, None


def use_real_ids(case, client: Client) -> None:
    """Replace a generated, well-formed id by one of ``client``'s (made for this case: a
    previous case may have deleted or disabled it). Malformed ids are left to be refused."""
    params = case.path_parameters or {}
    if _is_uuid(params.get("endpoint_id")):
        endpoint, _ = endpoint_create(
            client=client, url="http://127.0.0.1:1/hook", event_types=["*"]
        )
        params["endpoint_id"] = str(endpoint.public_id)
    if _is_uuid(params.get("event_id")):
        event = event_create(  # no CRM connection: settled at once, so ?wait answers now
            client=client, kind=EventKind.LEAD_CAPTURED, payload={"email": "m@example.com"}
        )
        params["event_id"] = str(event.public_id)


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case, caller):
    api_key, own_ids_of = caller
    # Each case is judged alone: generated Idempotency-Keys repeat across examples with other
    # bodies, which the API rightly refuses (422), and the ignored_auth check's bad keys would
    # soon get the address's failures throttled (429, tests/security/test_auth_failures.py).
    IdempotencyRecord.objects.all().delete()
    cache.clear()
    if own_ids_of is not None:
        use_real_ids(case, own_ids_of)
    headers = {"Authorization": f"Bearer {api_key}"}
    response = case.call(headers=headers)
    case.validate_response(response, headers=headers, transport_kwargs={"headers": dict(headers)})
    if response.status_code >= 400:
        content_type = {k.lower(): v for k, v in response.headers.items()}["content-type"]
        assert str(content_type).find("application/problem+json") != -1, content_type


STATEFUL_EXAMPLES = 20 if IN_CI else int(os.environ.get("SCHEMATHESIS_STATEFUL_EXAMPLES", "10"))


@pytest.mark.django_db(transaction=True)
def test_api_workflows_conform_to_its_schema(world):
    """The stateful phase: sequences that follow the links Schemathesis infers (a lead's
    Location to its event, an endpoint's id to its detail, patch, deliveries, rotation, test
    ping and delete), so the checks that need history run too: use_after_free (a deleted
    endpoint stays gone) and ensure_resource_availability (a created one can be read)."""
    headers = {"Authorization": f"Bearer {world.key_a}"}

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case) -> None:
            IdempotencyRecord.objects.all().delete()  # as above: each call judged alone
            cache.clear()

        def get_call_kwargs(self, case) -> dict:
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            # The headers actually sent, so the auth checks judge our key, not a generated one.
            case.validate_response(
                response,
                headers=headers,
                additional_checks=additional_checks,
                transport_kwargs=kwargs,
                recorder=getattr(self, "recorder", None),
            )
            if response.status_code >= 400:
                assert "application/problem+json" in str(response.headers.get("content-type"))

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
