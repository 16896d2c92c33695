"""Fixtures: a receiving peer on 127.0.0.1 and client A's endpoint at it (see ``peer.py``)."""

from .peer import endpoint_a, peer  # noqa: F401
