"""The machinery of the kill storm (tests/integration/test_lead_pipeline.py): worker nodes
killed on a schedule while leads are posted by several clients at a steady rate.

Kept apart from the test so the test reads as the requirement (RELIABILITY.md, "Kill storm"):
what is posted, what is killed, and what the vendor emulator must hold afterwards.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

from .worker import kill_group, pool_children, start_worker, stop, wait_for, worker_ready


@dataclass(frozen=True)
class LeadPost:
    """One request a chatbot vendor makes: which client, which Idempotency-Key, which body."""

    api_key: str
    idempotency_key: str
    body: dict
    repeat: bool = False  # the same key and body as an earlier request (a client's retry)


@dataclass
class Answer:
    status: int
    event_id: str
    replayed: bool
    conflicts: int  # 409s (the first request with that key still in flight) before this answer
    resent: int  # times the request was sent again after a connection error


class Nodes:
    """``count`` Celery worker nodes of ``concurrency`` prefork processes, and the killer.

    ``strike`` SIGKILLs one process per call. Most strikes take a single pool process, the
    common real failure (the kernel's OOM killer picks the biggest process: a pool child in the
    middle of a task); the node's parent sees the loss, rejects the message back to the broker
    (``task_reject_on_worker_lost``) and forks a new child within a second. Every
    ``node_every``-th strike takes a whole node instead (its process group: a host or container
    lost), which nothing on that node survives to report: the messages it had reserved stay
    unacknowledged in Redis until the visibility timeout, and its jobs stay ``running`` or
    ``queued`` until the outbox sweeper's lease expires and it publishes them again. The node is
    restarted at once without waiting for it, as a supervisor would, so the next strike comes
    on schedule.
    Whole nodes are the rarer kill because a restart costs seconds of CPU (Django and Celery
    start from nothing) where a new pool process is forked from a warm parent; on a 2-core CI
    machine more node kills would mostly measure start-up time.
    """

    def __init__(
        self, count: int, concurrency: int, env: dict[str, str], node_every: int, seed: int
    ) -> None:
        self.names = [f"storm{i + 1}" for i in range(count)]
        self.concurrency = concurrency
        self.env = env
        self.node_every = node_every
        self.random = random.Random(seed)
        self.procs: dict[str, subprocess.Popen] = {}
        self.ready: set[str] = set()
        self.kills: Counter[str] = Counter()
        self.strikes = 0

    def start(self) -> None:
        for name in self.names:
            self._spawn(name)
        wait_for(lambda: all(self._is_ready(name) for name in self.names), timeout=90)

    def stop(self) -> None:
        for proc in self.procs.values():
            stop(proc)

    def strike(self) -> None:
        self.strikes += 1
        if self.strikes % self.node_every == 0:
            self._kill_node()
        else:
            self._kill_pool_process()

    def _spawn(self, name: str) -> None:
        self.ready.discard(name)
        self.procs[name] = start_worker(self.concurrency, name, **self.env)

    def _is_ready(self, name: str) -> bool:
        if name not in self.ready and self.procs[name].poll() is None and worker_ready(name):
            self.ready.add(name)
        return name in self.ready

    def _kill_pool_process(self) -> None:
        children = [
            pid
            for name in self.names
            if self._is_ready(name)
            for pid in pool_children(self.procs[name].pid)
        ]
        if not children:  # every node is starting: take one of those instead
            self._kill_node()
            return
        try:
            os.kill(self.random.choice(children), signal.SIGKILL)
        except ProcessLookupError:
            self.kills["missed"] += 1
            return
        self.kills["pool process"] += 1

    def _kill_node(self) -> None:
        # A node still starting counts too: a crash loop is part of a storm.
        name = self.random.choice(self.names)
        kill_group(self.procs[name])
        self.kills["node"] += 1
        self._spawn(name)


@dataclass
class Intake:
    """Posts ``posts`` from ``threads`` client threads at ``rate`` requests per second, in a
    background thread, and keeps each answer. A 409 (the same key still in flight on another
    thread) is retried after a pause, as the IETF draft tells clients to, and so is a request
    whose connection failed.

    Post ``n`` waits until ``allow(n)`` (the test allows so many posts beyond the finished
    jobs): a firehose faster than the machine syncs would measure the machine's capacity, and
    the finish bound would then fail for want of CPU, not for a lost message.
    """

    base: str
    posts: list[LeadPost]
    rate: float
    threads: int = 8
    allowed: int = 0  # posts may go up to this index; raised by the test as jobs finish
    answers: dict[int, Answer] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    finished_at: float | None = None

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, name="storm-intake", daemon=True)
        thread.start()
        return thread

    def _run(self) -> None:
        local = threading.local()
        start = time.monotonic()

        def send(n: int) -> None:
            session = getattr(local, "session", None) or requests.Session()
            local.session = session
            post = self.posts[n]
            headers = {
                "Authorization": f"Bearer {post.api_key}",
                "Idempotency-Key": post.idempotency_key,
            }
            conflicts = resent = 0
            try:
                while True:
                    try:
                        response = session.post(
                            f"{self.base}/api/v1/leads", json=post.body, headers=headers, timeout=60
                        )
                    except requests.ConnectionError:
                        # A keep-alive connection the server closed as we reused it: the
                        # request may or may not have arrived. Sending it again with the same
                        # key is what the key is for.
                        if resent >= 5:
                            raise
                        resent += 1
                        time.sleep(0.2)
                        continue
                    if response.status_code != 409 or conflicts >= 200:
                        break
                    conflicts += 1
                    time.sleep(0.1)
                body = response.json() if response.status_code < 500 else {}
                self.answers[n] = Answer(
                    response.status_code,
                    str(body.get("id", "")),
                    response.headers.get("Idempotent-Replayed") == "true",
                    conflicts,
                    resent,
                )
            except Exception as exc:  # recorded; the test lists them
                self.errors.append(f"post {n}: {type(exc).__name__}: {exc}")

        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            for n in range(len(self.posts)):
                while n >= self.allowed:
                    time.sleep(0.05)
                    start = time.monotonic() - n / self.rate  # the pace resumes from here
                delay = start + n / self.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(send, n)
        self.finished_at = time.monotonic()


def plan_posts(
    api_keys: list[str], distinct: int, repeats: int, seed: int, make_body
) -> list[LeadPost]:
    """``distinct`` leads (lead ``n`` to client ``n % len(api_keys)``) and ``repeats`` re-sends
    of a random earlier one with the same key and body, each placed 1 to 40 requests after its
    original: near ones race it on another thread (409, then the replay), far ones are replays.
    """
    rng = random.Random(seed)
    firsts = [
        LeadPost(api_keys[n % len(api_keys)], f"storm-{seed}-{n}", make_body(n))
        for n in range(distinct)
    ]
    order: list[tuple[float, LeadPost]] = [(float(n), post) for n, post in enumerate(firsts)]
    for n in rng.sample(range(distinct), repeats):
        original = firsts[n]
        again = LeadPost(original.api_key, original.idempotency_key, original.body, repeat=True)
        order.append((n + rng.uniform(1, 40), again))
    order.sort(key=lambda pair: pair[0])
    return [post for _, post in order]
