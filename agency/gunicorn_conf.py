"""The shipped gunicorn configuration (``gunicorn -c python:agency.gunicorn_conf``).

Setting names are gunicorn's own (https://docs.gunicorn.org/en/stable/settings.html, read in
gunicorn 27.0.1's ``config.py``, checked 2026-12-04):

- ``forwarded_allow_ips``: only these addresses may set ``X-Forwarded-Proto`` and the other
  forwarding headers. It was ``*`` (anyone), so any client could claim HTTPS. Now it is the
  ``FORWARDED_ALLOW_IPS`` environment variable (gunicorn's own name for it), defaulting to
  gunicorn's loopback-only default; operators set it to their proxy's address or network.
- ``worker_class``/``threads``: threaded workers, so a request that waits
  (``GET /api/v1/events/{id}?wait=N``) holds one thread, not a whole process;
  ``syncs.intake.long_poll``
  lets at most half of a process's threads wait (``SYNC_WAIT_MAX_PER_PROCESS`` defaults to
  ``GUNICORN_THREADS // 2``), so ``/healthz`` and the intake always find a thread. With sync
  workers, three waits stalled the web tier. Workers: ``--workers ${WEB_CONCURRENCY}`` in the
  Dockerfile.
- ``logger_class``: gunicorn's access log is written by its own logger, outside Django's
  ``LOGGING``; this subclass puts the same redaction filter on it, so a key sent in a query
  string (refused with 400) is not written to the access log in full.
- ``worker_class``, ``threads``: threaded workers, so a request that waits
  (``GET /api/v1/events/{id}?wait=N``) holds one thread, not a whole process;
  ``syncs.intake.long_poll``
  lets at most half of a process's threads wait (``SYNC_WAIT_MAX_PER_PROCESS`` defaults to
  ``GUNICORN_THREADS // 2``), so ``/healthz`` and the intake always find a thread. With sync
  workers, three waits stalled the web tier. Workers: ``--workers ${WEB_CONCURRENCY}``.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.glogging import Logger

from common.logging import RedactSecretsFilter

# One file for every setting: gunicorn reads ./gunicorn.conf.py only when no ``-c`` is given,
# so a second file beside this one would be silently ignored by the image's command.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
logger_class = "agency.gunicorn_conf.RedactingLogger"
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))


class RedactingLogger(Logger):
    """gunicorn's logger with secrets masked in every access and error line."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            # setup() runs again on a config reload: one filter per logger, not one per reload.
            if not any(isinstance(f, RedactSecretsFilter) for f in log.filters):
                log.addFilter(RedactSecretsFilter())
