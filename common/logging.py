"""A logging filter that keeps secrets out of every log line.

Tokens and keys may reach a log through an exception message or a vendor error body; the
filter masks anything shaped like a bearer token, an API key or an OAuth token field.
"""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"sb_(?:live|test)_[A-Za-z0-9]{6,}"),
    re.compile(r"whsec_[A-Za-z0-9+/=]{8,}"),  # outbound webhook signing secrets
    # URLs reach access logs (gunicorn's, runserver's): a key sent in a query string (refused,
    # common.query_params.QUERY_KEY_NAMES), an OAuth code on a callback, a signed connect link.
    re.compile(r"(?i)([?&](?:api_?key|key|access_token|token|code)=)[^&\s\"']+"),
    re.compile(r"(/connect/)(?!callback/)[^/?\s\"']{20,}"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|password|api_key|code_verifier)"
        r"[\"']?\s*[:=]\s*[\"']?)[^\"'&\s,}]+"
    ),
]


def redact(text: str) -> str:
    """Return ``text`` with every secret-looking value replaced by ``[redacted]``."""
    for pattern in _PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + "[redacted]", text)
        else:
            text = pattern.sub("[redacted]", text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Rewrite the rendered message so no handler ever sees a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
