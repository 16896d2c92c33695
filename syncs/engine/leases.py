"""A running row's lease, after the run that holds it has died.

A claimed row is presumed alive for its lease; a second message meanwhile finds it taken. That
protects a live run, but when its process dies the row would wait out the whole lease (and the
sweeper) before anyone runs it again. The worker's parent process sees the pool process die
(``WorkerLostError``: OOM kill, SIGKILL) and releases the lease at once (``jobs.release``), so
the message Celery redelivers (``task_reject_on_worker_lost``) claims the row straight away.

``EngineRequest`` is Celery's documented extension point for this ("Requests and custom
requests" in the task guide): a task names it as its ``Request`` and the table it runs as its
``engine_model`` option (any option of the task decorator becomes an attribute of the task).
"""

from __future__ import annotations

import logging
from typing import Any, cast

from billiard.exceptions import WorkerLostError
from celery.worker.request import Request
from django.apps import apps
from django.db import connections

from syncs.engine import jobs

log = logging.getLogger(__name__)


def process_lost(exc: BaseException) -> bool:
    """The pool process running the task is gone (not a time limit, not the task's own error).

    Billiard reports a killed child as ``WorkerLostError``; newer billiards may report its exit
    as ``SystemExit`` first, which Celery then treats as a lost worker too."""
    exc = getattr(exc, "exc", exc)  # celery's ExceptionWithTraceback wraps the real one
    return isinstance(exc, WorkerLostError | SystemExit | KeyboardInterrupt)


class EngineRequest(Request):
    """The request of an engine task in the worker's parent process: when the pool process
    running it dies, release the row's lease before Celery requeues the message.

    A hard time limit (``TimeLimitExceeded``) also kills the process but is not released: the
    row ran too long once and would likely do so again, so it keeps its lease and is run again
    after it (by a re-check or the sweeper), never in a hot loop; Celery acknowledges its
    message (``acks_on_failure_or_timeout``).
    """

    def on_failure(
        self, exc_info: Any, send_failed_event: bool = True, return_ok: bool = False
    ) -> Any:
        if process_lost(exc_info.exception):
            self._release_lease()
        return super().on_failure(
            exc_info, send_failed_event=send_failed_event, return_ok=return_ok
        )

    def _release_lease(self) -> None:
        # Never let our bookkeeping break Celery's: on any error the lease simply runs out.
        try:
            # engine_model is a task option, set as an attribute of the task by Celery.
            model = apps.get_model(cast(Any, self.task).engine_model)
            pk = int(self.args[0])
            if jobs.release(model, pk, holder=self.id):
                log.warning("%s %s: its worker process died; lease released", model.__name__, pk)
        except Exception:
            log.exception("could not release the lease of task %s", self.id)
        finally:
            # The parent forks new pool processes: keep no connection open in it.
            for connection in connections.all(initialized_only=True):
                connection.close()
