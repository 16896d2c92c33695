"""How a sync job gets the CRM client for its connection (one seam, so tests and the console
can put a CRM double in its place)."""

from __future__ import annotations

from connectors.base import CrmClient
from connectors.models import Connection
from connectors.registry import client_for


def crm_client_for(connection: Connection) -> CrmClient:
    """The CRM client for ``connection``, from the connector registry."""
    return client_for(connection)
