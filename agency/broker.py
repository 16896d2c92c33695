"""Publishing to the broker: kombu's Redis transport with one client per channel, and a
cheaper publisher for the tasks sent on every lead.

kombu's Redis transport, reusing one ``redis.Redis`` object per channel for publishing:
kombu's Redis channel builds a new ``redis.Redis`` for every message it publishes
(``conn_or_acquire`` → ``_create_client``). The constructor fills a table of some 170 response
callbacks: on the intake path that cost more CPU than the LPUSH itself. The connection pool is
shared either way and ``redis.Redis`` is safe to share, so reusing the object changes nothing
else. Selected with ``CELERY_BROKER_TRANSPORT`` when the broker is Redis.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from typing import Any

from celery.utils.saferepr import saferepr
from kombu.entity import maybe_delivery_mode
from kombu.serialization import dumps
from kombu.transport import redis, virtual
from kombu.utils.uuid import uuid

log = logging.getLogger(__name__)


# _create_client and _q_for_pri are kombu's private Channel methods, absent from celery-types'
# kombu stubs: the ignores below say so.
class Channel(redis.Channel):
    _sync_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:  # the consumer's own long-lived client: kombu keeps it already
            return super()._create_client(asynchronous=True)  # type: ignore[misc]
        client = self._sync_client
        if client is None or client.connection_pool is not self.pool:  # a new pool after close
            client = self._sync_client = super()._create_client()  # type: ignore[misc]
        return client

    def waiting_task_args(self, queue: str, task: str) -> list[list]:
        """The positional arguments of each ``task`` message waiting in ``queue`` (at every
        priority level), read without consuming anything.

        Messages a worker has taken (kombu's ``unacked`` hash) are not included: those are not
        waiting, and if their worker died they come back only after the visibility timeout.
        """
        keys = dict.fromkeys(
            self._q_for_pri(queue, pri)  # type: ignore[attr-defined]
            for pri in self.priority_steps
        )
        found: list[list | None] = []
        with self.conn_or_acquire() as client:
            for key in keys:
                start = 0
                while raws := client.lrange(key, start, start + WAITING_READ_CHUNK - 1):
                    start += len(raws)
                    found.extend(message_task_args(raw, task) for raw in raws)
        return [args for args in found if args is not None]


# Messages read per LRANGE when listing a queue (a backlog can hold tens of thousands).
WAITING_READ_CHUNK = 1000


def message_task_args(raw: bytes, task: str) -> list | None:
    """A kombu Redis envelope's task arguments if it is a ``task`` message, else None."""
    try:
        message = json.loads(raw)
        if message.get("headers", {}).get("task") != task:
            return None
        body = message["body"]
        if message.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args = json.loads(body)[0]
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None  # not a Celery protocol 2 JSON message: nothing we published
    return args if isinstance(args, list) else None


class Transport(redis.Transport):
    Channel = Channel


class TaskPublisher:
    """Publishes one task's messages for less CPU than ``apply_async``, with the same message.

    ``apply_async`` → ``send_task`` merges the task's options, routes, looks up a dozen
    settings and builds an ``AsyncResult`` on every call: half the CPU of publishing a job, and
    about a tenth of a connected client's intake request. Those depend only on the task, so
    they are worked out once here; each call then builds the message with Celery's own
    ``create_task_message`` (protocol 2) and sends it with kombu's own message steps.

    Each thread keeps one broker connection of its own for these messages (``_HeldChannel``):
    taking a producer from the pool, ``maybe_declare`` and ``Connection.ensure``'s retry wrapper
    on every message cost as much CPU as the LPUSH itself. The message is built and sent by
    the very kombu calls ``Producer.publish`` makes (``serialization.dumps``,
    ``Channel.prepare_message``, ``Channel.basic_publish``). If that send fails for any reason
    the held connection is dropped and the message goes the pooled ``Producer.publish`` way,
    with Celery's publish-retry policy; a message that did reach the broker before the error
    is then sent twice, which a job's claim makes harmless. Tests compare the message with
    what ``apply_async`` sends.

    Only the plain case is taken: a message with no countdown to the task's default queue on a
    direct exchange. Anything else (eager mode, a countdown, another route) is
    ``apply_async``'s, unchanged.
    """

    def __init__(self, task: Any) -> None:
        self.task = task
        self._plan: dict[str, Any] | None = None
        self._plannable = True  # False once the task's route proved not to be the plain case
        self._held = _HeldChannel()

    def send(self, args: tuple, countdown: float | None = None) -> None:
        """Publish ``args`` for the task now (or after ``countdown`` seconds, by apply_async)."""
        app = self.task.app
        plain = not countdown and not app.conf.task_always_eager
        plan = self._get_plan() if plain else None
        if not plan:
            self.task.apply_async(args, countdown=countdown)
            return
        task_id = uuid()
        parent = app.current_worker_task
        root_id = parent_id = None
        if parent:  # as send_task links a message sent from inside a task to it
            root_id, parent_id = parent.request.root_id or parent.request.id, parent.request.id
        # saferepr (with two settings read) was a sixth of a publish; for a tuple of ints, the
        # usual job id, it is plain repr. Anything else is left to Celery.
        argsrepr = repr(args) if all(type(a) is int for a in args) else None
        if argsrepr and len(argsrepr) > app.amqp.argsrepr_maxsize:
            argsrepr = None  # saferepr would shorten it

        def message() -> tuple[dict, dict, Any]:
            headers, properties, body, _ = app.amqp.create_task_message(
                task_id,
                self.task.name,
                args,
                {},
                reply_to=app.thread_oid,
                root_id=root_id,
                parent_id=parent_id,
                argsrepr=argsrepr,
                **plan["message"],
            )
            return headers, properties, body

        try:
            if self._held.publish(app, plan["publish"], *message()):
                return
        except Exception:  # any failure: the pooled path, with its retries
            log.warning("publish on the held channel failed; retrying pooled", exc_info=True)
            self._held.drop()
        headers, properties, body = message()
        with app.producer_or_acquire() as producer:
            producer.publish(
                body,
                headers=headers,
                **properties,
                **plan["publish"],
            )

    def waiting_args(self) -> list[list] | None:
        """The arguments of this task's messages waiting in its broker queue, or None where
        that cannot be read (a broker other than Redis, or a route this class does not take).
        """
        plan = self._get_plan()
        if not plan:
            return None
        with self.task.app.connection_for_write() as connection:
            channel = connection.default_channel
            if not isinstance(channel, Channel):
                return None
            return channel.waiting_task_args(plan["publish"]["routing_key"], self.task.name)

    def _get_plan(self) -> dict[str, Any] | None:
        """The send plan, made once; None (and never tried again) if the task's options or
        route are not the plain case this class handles."""
        if self._plan is None and self._plannable:
            self._plan = self._make_plan()
            self._plannable = self._plan is not None
        return self._plan

    def _make_plan(self) -> dict[str, Any] | None:
        """What ``send_task`` would work out for this task on every call: the message options
        (time limits, ignore_result) and where and how it is published."""
        app = self.task.app
        conf = app.conf
        options = {k: v for k, v in self.task._get_exec_options().items() if v is not None}
        message = {
            "time_limit": options.pop("time_limit", None),
            "soft_time_limit": options.pop("soft_time_limit", None),
            "ignore_result": options.pop("ignore_result", self.task.ignore_result),
            "create_sent_event": conf.task_send_sent_event,
            "kwargsrepr": saferepr({}, maxlevels=conf.task_repr_maxlevels),  # no kwargs, ever
        }
        if options.pop("expires", None) is not None:
            return None
        route = app.amqp.router.route(options, self.task.name, (), {}, self.task)
        queue = route.pop("queue", None)
        route.pop("serializer", None)
        if (
            queue is None
            or route
            or queue.exchange.type != "direct"
            or message["create_sent_event"]
            or conf.task_compression
        ):
            return None
        return {
            "message": message,
            "publish": {
                # send_task_message's conversion to the anonymous exchange for a direct queue
                "exchange": "",
                "routing_key": queue.name,
                "serializer": conf.task_serializer,
                "delivery_mode": queue.exchange.delivery_mode or conf.task_default_delivery_mode,
                "retry": conf.task_publish_retry,
                "retry_policy": conf.task_publish_retry_policy,
                "declare": [queue],
            },
        }


class _HeldChannel:
    """One broker connection per thread for a ``TaskPublisher``'s messages.

    Kept until the process forks, the app's connection pool is replaced (a test switching
    brokers) or a send fails; a forked child never uses or closes its parent's connection.
    Only kombu's virtual transports (Redis, and the filesystem and memory ones of development
    and tests) are taken: their channels publish with ``basic_publish`` alone. Another
    transport answers False and the caller publishes pooled.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def publish(
        self, app: Any, publish: dict[str, Any], headers: dict, properties: dict, body: Any
    ) -> bool:
        channel = self._channel(app, publish["declare"])
        if channel is None:
            return False
        # Producer.publish's steps, in its order, for an anonymous-exchange message.
        properties["delivery_mode"] = maybe_delivery_mode(publish["delivery_mode"])
        content_type, content_encoding, payload = dumps(body, serializer=publish["serializer"])
        message = channel.prepare_message(
            payload, 0, content_type, content_encoding, headers, properties
        )
        channel.basic_publish(
            message, exchange=publish["exchange"], routing_key=publish["routing_key"]
        )
        return True

    def drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        inherited = getattr(self._local, "pid", None) != os.getpid()
        self._local.__dict__.clear()
        if connection is not None and not inherited:
            try:
                connection.release()
            except Exception:  # already broken: nothing more to free
                log.debug("closing a broken held broker connection failed", exc_info=True)

    def _channel(self, app: Any, declare: list) -> Any:
        local = self._local
        pool = app.pool
        if getattr(local, "pool", None) is not pool or local.pid != os.getpid():
            self.drop()
            local.pid = os.getpid()
            connection = app.connection_for_write()
            channel = connection.default_channel
            if not isinstance(channel, virtual.Channel):
                connection.release()
                local.pool, local.channel = pool, None
                return None
            for entity in declare:  # what Producer.publish's maybe_declare does, once
                entity(channel).declare()
            local.pool, local.connection, local.channel = pool, connection, channel
        return local.channel
