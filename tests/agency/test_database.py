"""PostgreSQL settings: ORM queries are sent with server-side parameters, so repeated ones are
prepared (parsed and planned once per connection instead of on every run)."""

from __future__ import annotations

import pytest
from django.db import connection

from tenants.models import Client
from tests.conftest import require


@pytest.mark.django_db
def test_a_repeated_orm_query_is_prepared_on_its_connection(settings):
    require(connection.vendor == "postgresql", "prepared statements are PostgreSQL's")
    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    for pk in range(threshold + 1):
        list(Client.objects.filter(pk=pk, name__startswith="x"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    table = Client._meta.db_table
    assert any(f'FROM "{table}"' in s and "LIKE" in s and "$1" in s for s in prepared), prepared
