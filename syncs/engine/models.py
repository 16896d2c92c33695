"""What every kind of work the engine runs has in common: the columns of its state, and the
names its table gives the engine's states.

Sync jobs, rollback steps and webhook deliveries keep their own tables (each has its own
outcomes and its own columns for them) but share these columns through ``EngineRow`` and
declare a ``Lifecycle``, so ``syncs.engine.jobs`` runs one state machine over all three:

    ready ──claim──▶ running ──▶ (the table's outcome)
      ▲                 │ transient error: retry, due at next_attempt_at (backoff)
      └──── retry ◀─────┤ permanent error or attempts spent: dead
                        └ worker died: lease released (or run out), claimed again
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.db import models


@dataclass(frozen=True)
class Lifecycle:
    """How one table names the engine's states, and its limits.

    ``ready``: statuses a message may claim at once. ``retry``: a retry is scheduled (claimable
    once ``next_attempt_at`` has come). ``queued``: the status a published ready row takes ('' if
    the table does not tell published from unpublished). ``task``: the import path of the
    Celery task that runs one row by id (imported when a row is first published, as Celery's
    own ``task`` setting strings are). ``max_attempts`` and ``lease`` are read when used (settings).
    ``backoff``: the countdown after the n-th failed attempt (None: no more attempts).
    """

    task: str
    ready: tuple[str, ...]
    running: str
    retry: str
    dead: str
    max_attempts: Callable[[], int]
    lease: Callable[[], timedelta]
    backoff: Callable[[int], float | None]
    queued: str = ""

    @property
    def startable(self) -> tuple[str, ...]:
        """Statuses of a row not started yet: ready, and queued (published)."""
        return (*self.ready, self.queued) if self.queued else self.ready


class EngineRow(models.Model):
    """The engine's columns; the table declares ``status`` (its own outcomes) and ``lifecycle``.

    ``claims`` counts every successful claim and is never given back (unlike ``attempts``,
    which a throttled retry returns): more than one means this run may follow one that wrote
    to a vendor. ``lease_holder`` is the Celery task id of the delivery whose run holds the
    lease, so the worker that saw that delivery's process die releases only its own lease.
    """

    lifecycle: ClassVar[Lifecycle]
    # Declared by each concrete table (its own outcomes) and given by Django (the manager);
    # named here for the type checker, which sees neither on an abstract model.
    status: str
    objects: ClassVar[models.Manager[Any]]

    attempts = models.PositiveSmallIntegerField(default=0)
    claims = models.PositiveIntegerField(default=0)
    lease_holder = models.CharField(max_length=64, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


def capped_countdown(seconds: float) -> float:
    """A countdown Celery may carry: never negative, never past half the visibility timeout
    (a message not acknowledged within it is delivered again)."""
    return min(max(seconds, 0.0), settings.CELERY_MAX_COUNTDOWN)


def full_jitter(attempt: int, *, base: float, cap: float) -> float:
    """Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
    Jitter", 2015): uniform in [1, min(cap, base·2^(attempt-1))] seconds."""
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return capped_countdown(max(1.0, random.uniform(0, ceiling)))
