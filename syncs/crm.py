"""How a sync job gets the CRM client for its connection.

The registry (``connectors.registry.client_for``) is imported on first use so this app loads
whether or not the connector packages are installed in this deployment.
"""

from __future__ import annotations

from connectors.base import ConnectorError, CrmClient
from connectors.models import Connection


def crm_client_for(connection: Connection) -> CrmClient:
    """The CRM client for ``connection``. Raises ConnectorError (transient: a deployment
    without the registry is fixed by deploying it, and the job retries)."""
    try:
        from connectors.registry import client_for  # type: ignore[import-not-found]
    except ImportError:
        raise ConnectorError(
            "No connector registry is installed; cannot reach the CRM.", code="no_registry"
        ) from None
    return client_for(connection)
