"""The emulator tests use the connect fixtures of the connector tests (live server, OAuth dance)."""

from tests.connectors.conftest import dance, emulators  # noqa: F401  (fixtures, by name)
