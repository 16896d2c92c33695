"""Standard Webhooks signatures (https://www.standardwebhooks.com, "Signature scheme").

``webhook-signature`` is ``v1,<base64 HMAC-SHA256>`` of ``"{id}.{timestamp}.{body}"`` under the
secret's bytes (base64 after ``whsec_``). Several signatures are space-separated; we send two
while a rotated-out secret is still valid, so receivers can switch secrets without a gap.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _random

SECRET_PREFIX = "whsec_"  # noqa: S105 -- a prefix, not a secret
SECRET_BYTES = 32  # the spec asks for 24 to 64 bytes


def generate_secret() -> str:
    """A fresh ``whsec_`` secret."""
    return SECRET_PREFIX + base64.b64encode(_random.token_bytes(SECRET_BYTES)).decode()


def secret_bytes(secret: str) -> bytes:
    """The HMAC key: the base64 part of ``whsec_…`` decoded."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<signature>`` entry."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one entry per secret, space-separated."""
    return " ".join(sign(s, msg_id, timestamp, body) for s in secrets)
