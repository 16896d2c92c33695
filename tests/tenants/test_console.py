"""The staff console: scoped to the member's agencies, changes gated by role."""

from __future__ import annotations

import pytest

from tenants.models import ApiKey, Client

pytestmark = pytest.mark.django_db


def test_it_requires_sign_in(client):
    response = client.get("/console/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_lists_only_the_members_clients(client, world, owner):
    client.force_login(owner)
    page = client.get("/console/").content.decode()
    assert "Alpha Dental" in page and "Bravo Bakery" in page
    assert "Zulu Gym" not in page


def test_it_hides_other_agencies_clients(client, world, outsider_staff):
    client.force_login(outsider_staff)
    page = client.get("/console/").content.decode()
    assert "Zulu Gym" in page and "Alpha Dental" not in page
    assert client.get(f"/console/clients/{world.client_a.public_id}/").status_code == 404
    key = ApiKey.objects.get(client=world.client_a)
    revoke = f"/console/clients/{world.client_a.public_id}/keys/{key.pk}/revoke"
    assert client.post(revoke).status_code == 404
    assert ApiKey.objects.get(client=world.client_a).is_active


def test_it_cannot_revoke_another_clients_key_through_its_own_client(client, world, owner):
    client.force_login(owner)
    other_key = ApiKey.objects.get(client=world.outsider_client)
    url = f"/console/clients/{world.client_a.public_id}/keys/{other_key.pk}/revoke"
    assert client.post(url).status_code == 404
    assert ApiKey.objects.get(pk=other_key.pk).is_active


def test_a_viewer_cannot_change_anything(client, world, viewer):
    client.force_login(viewer)
    base = f"/console/clients/{world.client_a.public_id}"
    key = ApiKey.objects.get(client=world.client_a)
    assert client.post(f"{base}/keys", {"name": "x"}).status_code == 403
    assert client.post(f"{base}/keys/{key.pk}/revoke").status_code == 403
    assert (
        client.post(
            "/console/agencies/northwind/clients/new",
            {"name": "New", "slug": "new", "time_zone": "UTC", "default_region": "US"},
        ).status_code
        == 403
    )
    assert ApiKey.objects.filter(client=world.client_a).count() == 1
    assert ApiKey.objects.get(pk=key.pk).is_active
    assert not Client.objects.filter(slug="new").exists()
    page = client.get(f"{base}/").content.decode()
    assert "Create API key" not in page and "Revoke" not in page


def test_an_operator_issues_a_key_shown_once(client, world, operator):
    client.force_login(operator)
    base = f"/console/clients/{world.client_a.public_id}"
    response = client.post(f"{base}/keys", {"name": "Vendor X"})
    assert response.status_code == 200  # shown in the POST's own response, kept nowhere
    first = response.content.decode()
    key = ApiKey.objects.get(client=world.client_a, name="Vendor X")
    assert key.prefix in first and "sb_live_" in first
    second = client.get(f"{base}/").content.decode()
    assert 'id="new-key"' in first and 'id="new-key"' not in second


def test_an_operator_cannot_create_clients_but_an_owner_can(client, world, operator, owner):
    data = {
        "name": "Charlie Cafe",
        "slug": "charlie",
        "time_zone": "Europe/Paris",
        "default_region": "FR",
        "crm_provider": "zoho",
    }
    client.force_login(operator)
    assert client.post("/console/agencies/northwind/clients/new", data).status_code == 403
    client.force_login(owner)
    response = client.post("/console/agencies/northwind/clients/new", data)
    assert response.status_code == 302
    assert Client.objects.get(slug="charlie").agency == world.agency


def test_client_form_rejects_bad_time_zone(client, world, owner):
    client.force_login(owner)
    response = client.post(
        "/console/agencies/northwind/clients/new",
        {"name": "X", "slug": "x", "time_zone": "Mars/Olympus", "default_region": "US"},
    )
    assert response.status_code == 200
    assert not Client.objects.filter(slug="x").exists()


def test_admin_is_for_superusers_only(client, world, owner):
    owner.is_staff = True
    owner.save()
    client.force_login(owner)
    response = client.get("/admin/tenants/client/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    from ..conftest import make_user

    root = make_user("root@platform.example", is_superuser=True, is_staff=True)
    client.force_login(root)
    page = client.get("/admin/tenants/apikey/").content.decode()
    assert "Zulu Gym" in page or "z" in page
    assert world.key_a not in page


def test_the_sign_in_page_has_no_sign_up_hint_since_sign_up_is_closed(client):
    body = client.get("/accounts/login/").content.decode()
    assert 'name="login"' in body and 'name="password"' in body
    assert "sign up" not in body.lower() and "/accounts/signup/" not in body
    assert "the sign up is currently closed" in client.get("/accounts/signup/").content.decode()


def test_a_password_reset_for_an_unknown_address_sends_no_sign_up_link(client, mailoutbox):
    client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    (mail,) = mailoutbox
    assert "nobody@example.com" in mail.body
    assert "sign up" not in mail.body.lower() and "/accounts/signup/" not in mail.body


def test_revoking_a_key_asks_first_and_is_audited(client, world, operator):
    from syncs.models import AuditEntry

    client.force_login(operator)
    key = ApiKey.objects.get(client=world.client_a)
    revoke = f"/console/clients/{world.client_a.public_id}/keys/{key.pk}/revoke"
    listing = client.get(f"/console/clients/{world.client_a.public_id}/").content.decode()
    assert f'class="button danger" href="{revoke}"' in listing
    confirm = client.get(revoke).content.decode()
    assert "refused with 401" in confirm and f"{key.prefix}…" in confirm
    assert '<button type="submit" class="danger">Revoke this key</button>' in confirm
    assert client.post(revoke).status_code == 200  # no confirm: the question again
    assert ApiKey.objects.get(pk=key.pk).is_active
    assert client.post(revoke, {"confirm": "yes"}).status_code == 302
    assert not ApiKey.objects.get(pk=key.pk).is_active
    entry = AuditEntry.objects.get(action="api_key.revoked")
    assert entry.actor == "staff:operator@northwind.example"
    assert entry.details == {"name": key.name, "prefix": key.prefix}
    assert client.get(revoke).status_code == 404  # already revoked: nothing to confirm


def test_creating_a_key_is_audited_without_the_key(client, world, operator):
    from syncs.models import AuditEntry

    client.force_login(operator)
    body = client.post(
        f"/console/clients/{world.client_a.public_id}/keys", {"name": "Vendor X"}
    ).content.decode()
    raw = body.split('id="new-key"')[1].split("<code>")[1].split("</code>")[0]
    entry = AuditEntry.objects.get(action="api_key.created")
    key = ApiKey.objects.get(name="Vendor X")
    assert entry.client == world.client_a and entry.target == f"api_key:{key.pk}"
    assert entry.details == {"name": "Vendor X", "prefix": key.prefix}
    assert raw not in str(entry.details) and raw[len(key.prefix) :] not in str(entry.details)
