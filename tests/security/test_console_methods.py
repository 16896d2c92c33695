"""Console pages that only show things answer any other method with 405, not 200."""

from __future__ import annotations

import pytest

from ..tenants.test_scoping import CONSOLE_MATRIX

pytestmark = pytest.mark.django_db

# Pages that also take a form post (their POST is their purpose, tested with their forms).
FORM_PAGES = {
    "console/clients/<uuid:public_id>/mappings/<int:connection_id>/",
    # The merge confirmation shows on GET and merges on a confirmed POST.
    "console/clients/<uuid:public_id>/duplicates/<int:candidate_id>/merge",
}
READ_ONLY = sorted(
    url for route, (method, url) in CONSOLE_MATRIX.items()
    if method == "get" and route not in FORM_PAGES
)  # fmt: skip


@pytest.mark.parametrize("url", ["/console/", *READ_ONLY])
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_a_read_only_page_refuses_other_methods(client, world, owner, url, method):
    client.force_login(owner)
    response = getattr(client, method)(url.format(id=world.client_a.public_id))
    assert response.status_code == 405
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}


@pytest.mark.parametrize("url", ["/console/", *READ_ONLY])
def test_it_still_answers_get_and_head(client, world, owner, url):
    client.force_login(owner)
    target = url.format(id=world.client_a.public_id)
    assert client.get(target).status_code in {200, 404}  # 404: the matrix's ids are made up
    assert client.head(target).status_code in {200, 404}
