"""Platform-wide models that belong to no tenant."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """A row a worker writes when it runs a task: proof the queue is actually drained.

    `/readyz` only proves the broker accepts messages; the console shows the newest heartbeat so
    staff can tell a stalled worker from an idle one.
    """

    nonce = models.CharField(max_length=64, db_index=True)
    hostname = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.hostname or 'worker'} at {self.created_at:%Y-%m-%d %H:%M:%S}"
