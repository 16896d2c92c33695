"""Fixtures shared by the CRM connector suites."""

from tests.connectors.crm_fixtures import emulated, recorded  # noqa: F401
