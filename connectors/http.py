"""The one HTTP layer every vendor call goes through.

Vendor clients say *what* to call; this module decides *how*: the auth header, a rate-limit
token before each attempt, timeouts, retries (401 → one refresh; 429 → wait as long as the
vendor says; 5xx and network errors → backoff with full jitter), no silent redirect to another
host, and one ``ApiCall`` row per attempt. What it does not finish inline it hands to Celery as a
``ConnectorError`` with ``retry_after``: a throttled call is delayed, never dropped.

One ``VendorHttp`` per task. Its ``requests.Session`` is this thread's (``shared_session``), so
jobs in one worker process reuse kept-alive vendor connections; it never stores cookies.
Nothing here logs or records a header, a body, a token or a query string.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import threading
import time
import urllib.request
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, replace
from http.cookiejar import DefaultCookiePolicy
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from django.conf import settings

from connectors import call_log, concurrency, ratelimit
from connectors.base import ConcurrencyLimit, ConnectorError, ProviderSpec, RateLimit
from connectors.models import ApiCall, Connection
from connectors.vendor_replies import (
    loggable_path,
    rate_limit_state,
    retry_after_seconds,
    vendor_error,
)

logger = logging.getLogger(__name__)

RATE_LIMITED = "rate_limited"
# Error codes of a call refused for a quota, the vendor's or our bucket's: the work is delayed
# by its ``retry_after``, and a job gives the attempt back (``is_throttle``).
RATE_LIMITED_LOCAL = "rate_limited_local"
# Ours too: every slot of the mailbox's concurrency limit is taken (``connectors.concurrency``),
# and another job of one booking holds its meeting lease (``syncs.crm.meetings``): not failures.
CONCURRENCY_LIMITED_LOCAL = "concurrency_limited_local"
LEASE_BUSY = "lease_busy"
THROTTLE_CODES = frozenset(
    {RATE_LIMITED, RATE_LIMITED_LOCAL, CONCURRENCY_LIMITED_LOCAL, LEASE_BUSY}
)
UNAUTHORIZED = "unauthorized"
_OK, _TRANSIENT, _PERMANENT = "ok", "transient", "permanent"
AUTH_STYLES = ("bearer", "zoho-oauthtoken", "x-shopify-access-token", "basic", "none")
MAX_REDIRECTS = 5
_NO_TOKEN = ""
_UNSAFE_TO_REPEAT = "unsafe_to_repeat"
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PROPFIND", "REPORT"})


_sessions = threading.local()


def shared_session() -> requests.Session:
    """This thread's session for vendor calls, kept across jobs: a TCP and TLS handshake per
    job would cost more than the call itself.

    It keeps no cookies (a vendor's cookie for one tenant must never ride on another tenant's
    call), and a forked child makes its own (sockets are not shared across processes).
    """
    owned = getattr(_sessions, "owned", None)
    if owned is None or owned[0] != os.getpid():
        session = requests.Session()
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        _read_environment_once(session)
        owned = _sessions.owned = (os.getpid(), session)
    return owned[1]


def close_shared_session() -> None:
    """Close this thread's vendor session (its kept-alive sockets); the next call makes one."""
    owned = getattr(_sessions, "owned", None)
    _sessions.owned = None
    if owned is not None:
        owned[1].close()


def _read_environment_once(session: requests.Session) -> None:
    """Take the environment's HTTP settings once, not on every call as requests otherwise does
    (a scan of the whole environment per call). A CA bundle (REQUESTS_CA_BUNDLE, then
    CURL_CA_BUNDLE, as requests reads them) becomes the session's ``verify``; with proxies
    configured, requests keeps reading the environment, since NO_PROXY is matched per URL.
    ~/.netrc is never read: vendor calls carry their own credentials only."""
    if urllib.request.getproxies_environment():
        return
    session.trust_env = False
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle


class TokenSource(Protocol):
    """Where access tokens come from (``connectors.tokens`` in production)."""

    def access_token(self, connection: Connection) -> str:
        """A currently valid token (may refresh first)."""

    def refresh(self, connection: Connection, *, rejected_token: str) -> str:
        """Force a refresh after a 401 (single-flight inside); returns the new token."""


@dataclass
class _Run:
    """The state of one ``request()`` call across its attempts."""

    attempt: int = 0
    waited: float = 0.0  # seconds slept inline so far (buckets, Retry-After, backoff)
    failures: int = 0  # 5xx / network failures so far
    throttles: int = 0  # 429s so far
    refreshed: bool = False
    token: str = _NO_TOKEN  # the token sent with the latest attempt
    logged_wait: float = 0.0  # ``waited`` when the previous attempt was logged


@dataclass
class _Call:
    """What to send; a redirect changes method, url and body."""

    method: str
    url: str
    params: Any
    json: Any
    data: Any
    headers: Mapping[str, str] | None
    expect: Container[int]


class VendorHttp:
    """Calls one vendor on behalf of one connection."""

    def __init__(
        self,
        connection: Connection,
        *,
        spec: ProviderSpec,
        base_url: str,
        tokens: TokenSource | None = None,
        timeout: float = 10.0,
        classify: Callable[[requests.Response], str | None] | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if spec.auth_header not in AUTH_STYLES:
            raise ValueError(f"unknown auth_header style {spec.auth_header!r}")
        self.connection = connection
        self.spec = spec
        self.base_url = base_url.rstrip("/")
        self._tokens = tokens
        self.timeout = (min(settings.VENDOR_CONNECT_TIMEOUT_SECONDS, timeout), timeout)
        self.classify = classify
        self.session = session or shared_session()
        self.sleep = sleep or time.sleep

    @property
    def tokens(self) -> TokenSource:
        if self._tokens is None:
            # Imported on first use: the token module needs this one, not the other way round.
            from connectors import tokens as default_tokens

            self._tokens = default_tokens
        return self._tokens

    # --- public -------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        expect: Container[int] = range(200, 300),
    ) -> requests.Response:
        """Send one logical request, retrying as the vendor allows; returns a response whose
        status is in ``expect``.

        Raises ``ConnectorError``: ``permanent`` for a request the vendor refuses (4xx outside
        ``expect``, a second 401, a redirect to another host); ``retry_after`` set when the
        vendor or our bucket asks for a wait longer than we may sleep inline; neither after
        ``VENDOR_INLINE_ATTEMPTS`` server or network failures.
        """
        call = _Call(method.upper(), self.url_for(path), params, json, data, headers, expect)
        run = _Run()
        while True:
            run.attempt += 1
            tickets = self._throttle(run)
            try:
                run.token = self._token(run)
                slots = self._take_slots(run)
                started = time.monotonic()
                try:
                    response, failure = self._send(call, run.token)
                except ConnectorError as exc:
                    self._record(call, exc.status, started, run, exc.code or "refused")
                    raise
                finally:
                    self._give_back(slots)
            finally:
                self._answered(tickets)
            if failure is None:
                assert response is not None  # _send returns a response or a failure
                failure = self._verdict(response, expect)
            verdict = failure
            status = response.status_code if response is not None else None
            self._record(call, status, started, run, _error_code(verdict, status), response)
            if verdict == _OK:
                assert response is not None  # _OK comes only from _verdict(response)
                return response
            self._handle(verdict, response, run, call)

    def url_for(self, path: str) -> str:
        """``path`` under ``base_url``, or an absolute URL (a vendor's next-page link) on the
        same origin: a token is never sent to a host the connection was not made for."""
        if path.startswith(("http://", "https://")):
            if _origin(path) != _origin(self.base_url):
                raise ConnectorError(
                    f"{self.spec.slug}: refusing a URL on another host ({urlsplit(path).hostname})",
                    code="foreign_url",
                    permanent=True,
                )
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def bucket_key(self, limit: RateLimit) -> str:
        """``rl:<provider>:app``, ``rl:<provider>:acct:<vendor account digest>`` (every
        connection to one Google user or one Outlook mailbox shares its quota) or
        ``rl:<provider>:conn:<connection id>`` (also an account's, while its id is unknown)."""
        return self._scoped_key("rl", limit.scope)

    def slots_key(self, limit: ConcurrencyLimit) -> str:
        """``cc:<provider>:...``, scoped as ``bucket_key``: one mailbox's slots are shared by
        every connection to it."""
        return self._scoped_key("cc", limit.scope)

    def _scoped_key(self, prefix: str, scope: str) -> str:
        if scope == "app":
            return f"{prefix}:{self.spec.slug}:app"
        account = self.connection.external_account_id
        if scope == "account" and account:
            digest = hashlib.sha256(account.encode()).hexdigest()[:24]
            return f"{prefix}:{self.spec.slug}:acct:{digest}"
        return f"{prefix}:{self.spec.slug}:conn:{self.connection.pk}"

    @property
    def concurrency_limits(self) -> tuple[ConcurrencyLimit, ...]:
        """The spec's concurrency caps, with the sizes an operator set for this deployment
        (``settings.VENDOR_QUOTAS``: ``{<slug>: {"concurrency": {"account": 2}}}``)."""
        quotas = (getattr(settings, "VENDOR_QUOTAS", None) or {}).get(self.spec.slug) or {}
        sizes = quotas.get("concurrency") or {}
        return tuple(
            replace(limit, slots=int(sizes[limit.scope])) if limit.scope in sizes else limit
            for limit in self.spec.concurrency_limits
        )

    @property
    def rate_limits(self) -> tuple[RateLimit, ...]:
        """The spec's limits, with the sizes an operator set for this deployment
        (``settings.VENDOR_QUOTAS``: ``{<slug>: {"app": 1000}}`` for a Google Cloud project whose
        console quota is 1,000 a minute). A quota is the project's own, not the vendor's."""
        sizes = (getattr(settings, "VENDOR_QUOTAS", None) or {}).get(self.spec.slug) or {}
        return tuple(
            replace(limit, requests=int(sizes[limit.scope])) if limit.scope in sizes else limit
            for limit in self.spec.rate_limits
        )

    # --- one attempt ----------------------------------------------------------------------

    def _throttle(self, run: _Run) -> list[ratelimit.Ticket]:
        """Take a slot in every bucket of the spec, waiting within the inline budget; the
        tickets go back to ``_answered`` once the attempt has its answer (or failed)."""
        # How long after its grant this attempt can still reach the vendor: the inline wait
        # for the next bucket and a concurrency slot, a token refresh, every redirect hop.
        lease = settings.VENDOR_INLINE_WAIT_SECONDS + (MAX_REDIRECTS + 2) * sum(self.timeout) + 5
        tickets: list[ratelimit.Ticket] = []
        try:
            for limit in self.rate_limits:
                budget = max(0.0, settings.VENDOR_INLINE_WAIT_SECONDS - run.waited)
                ticket = ratelimit.take(
                    self.bucket_key(limit), limit, max_wait=budget, lease=lease, sleep=self.sleep
                )
                tickets.append(ticket)
                run.waited += ticket.waited
        except ratelimit.RateLimited as exc:
            self._answered(tickets)
            logger.info("%s bucket full for %.1fs", self.spec.slug, exc.retry_after)
            raise ConnectorError(
                f"{self.spec.slug}: our rate limit is reached; retry in {exc.retry_after:.1f}s",
                code=RATE_LIMITED_LOCAL,
                retry_after=_clamp(exc.retry_after),
            ) from None
        except ratelimit.Unavailable as exc:
            self._answered(tickets)
            raise ConnectorError(str(exc), code="ratelimit_unavailable") from exc
        return tickets

    def _answered(self, tickets: list[ratelimit.Ticket]) -> None:
        """The attempt is over: each slot comes back a window after now (its answer, which
        came after the vendor counted it)."""
        for ticket in tickets:
            try:
                ratelimit.done(ticket)
            except ratelimit.Unavailable:
                logger.warning("%s: could not return a rate slot (its lease will)", self.spec.slug)

    def _take_slots(self, run: _Run) -> list[tuple[str, str]]:
        """Take a slot of every concurrency cap for this attempt, waiting within the inline
        budget; a cap still full after it hands the job back to the queue as a throttle (no
        attempt spent). Returns (key, holder) pairs for ``_give_back``."""
        taken: list[tuple[str, str]] = []
        # A slot's lease outlives the attempt: every redirect hop may take the read timeout.
        lease = (MAX_REDIRECTS + 1) * sum(self.timeout) + 5.0
        try:
            for limit in self.concurrency_limits:
                budget = max(0.0, settings.VENDOR_INLINE_WAIT_SECONDS - run.waited)
                key = self.slots_key(limit)
                holder, waited = concurrency.acquire(
                    key, limit.slots, lease_seconds=lease, max_wait=budget, sleep=self._idle
                )
                run.waited += waited
                taken.append((key, holder))
        except concurrency.ConcurrencyLimited as exc:
            self._give_back(taken)
            logger.info("%s: every concurrency slot stayed taken", self.spec.slug)
            raise ConnectorError(
                f"{self.spec.slug}: our concurrency limit is reached; retry in "
                f"{exc.retry_after:.1f}s",
                code=CONCURRENCY_LIMITED_LOCAL,
                retry_after=_clamp(exc.retry_after),
            ) from None
        except concurrency.Unavailable as exc:
            self._give_back(taken)
            raise ConnectorError(str(exc), code="ratelimit_unavailable") from exc
        return taken

    def _give_back(self, taken: list[tuple[str, str]]) -> None:
        for key, holder in taken:
            try:
                concurrency.release(key, holder)
            except concurrency.Unavailable:
                logger.warning("%s: could not give a concurrency slot back", self.spec.slug)

    def _token(self, run: _Run) -> str:
        if self.spec.auth_header in ("none", "basic"):
            return _NO_TOKEN  # basic auth reads the stored app password in _auth()
        if run.refreshed and run.token:
            return run.token  # the token refresh() just handed us
        return self.tokens.access_token(self.connection)

    def _send(self, call: _Call, token: str) -> tuple[requests.Response | None, str | None]:
        """One attempt, following same-host redirects; (response, None) or (None, failure)."""
        hop = replace(call)
        try:
            for _ in range(MAX_REDIRECTS + 1):
                response = self.session.request(
                    hop.method,
                    hop.url,
                    params=hop.params,
                    json=hop.json,
                    data=hop.data,
                    headers=self._headers(token, call.headers),
                    auth=self._auth(),
                    timeout=self.timeout,
                    allow_redirects=False,
                )
                if not response.is_redirect or response.status_code in call.expect:
                    return response, None
                hop = self._redirect(response, hop)
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
            raise ConnectorError(f"bad URL ({type(exc).__name__})", permanent=True) from None
        except requests.RequestException as exc:
            return None, _network_failure(exc, call.method)
        raise ConnectorError(f"{self.spec.slug}: too many redirects", permanent=True)

    def _redirect(self, response: requests.Response, hop: _Call) -> _Call:
        """The next hop of a redirect, refused unless it stays on the same origin."""
        target = urljoin(hop.url, response.headers["location"])
        if _origin(target) != _origin(hop.url):
            raise ConnectorError(
                f"{self.spec.slug}: refused a redirect to another host "
                f"({urlsplit(target).hostname})",
                status=response.status_code,
                code="redirect_refused",
                permanent=True,
            )
        if response.status_code in (307, 308):  # same method, same body
            return replace(hop, url=target, params=None)
        method = "HEAD" if hop.method == "HEAD" else "GET"
        return replace(hop, method=method, url=target, params=None, json=None, data=None)

    def _headers(self, token: str, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {"User-Agent": settings.VENDOR_USER_AGENT, **dict(self.spec.default_headers)}
        headers.update(extra or {})
        style = self.spec.auth_header
        if style == "bearer":
            headers["Authorization"] = f"Bearer {token}"
        elif style == "zoho-oauthtoken":
            headers["Authorization"] = f"Zoho-oauthtoken {token}"
        elif style == "x-shopify-access-token":
            headers["X-Shopify-Access-Token"] = token
        return headers

    def _auth(self) -> tuple[str, str] | None:
        if self.spec.auth_header != "basic":
            return None
        return (str(self.connection.settings.get("username", "")), self.connection.access_token)

    # --- what the response means ----------------------------------------------------------

    def _verdict(self, response: requests.Response, expect: Container[int]) -> str:
        custom = self.classify(response) if self.classify else None
        if custom is not None:
            if custom not in (RATE_LIMITED, UNAUTHORIZED):
                raise ValueError(f"classify() returned {custom!r}")
            return custom
        status = response.status_code
        if status in expect:
            return _OK
        if status == 429:
            return RATE_LIMITED
        if status == 401:
            return UNAUTHORIZED
        if status >= 500 or status == 408:
            return _TRANSIENT
        return _PERMANENT

    def _handle(
        self, verdict: str, response: requests.Response | None, run: _Run, call: _Call
    ) -> None:
        """Sleep before the next attempt, refresh the token, or raise."""
        if verdict == UNAUTHORIZED:
            assert response is not None  # a verdict on a response, not a network failure
            self._reauthorise(response, run)
        elif verdict == RATE_LIMITED:
            run.throttles += 1
            hint = retry_after_seconds(response, rate_limited=True)
            if hint is None:  # no hint: 1 s, 2 s, 4 s ... within the inline budget
                hint = min(settings.VENDOR_BACKOFF_CAP_SECONDS, 2.0 ** (run.throttles - 1))
            else:
                self._defer(hint)
            self._pause(run, hint, response, code="rate_limited")
        elif verdict in (_TRANSIENT, "timeout", "connection_error"):
            self._back_off(run, response, verdict)
        elif verdict == _UNSAFE_TO_REPEAT:
            raise ConnectorError(
                f"{self.spec.slug}: no answer to {call.method}; not repeated inline",
                code="timeout",
            )
        else:
            assert response is not None  # a refusal is a verdict on a response
            raise self._refused(response, run)

    def _defer(self, seconds: float) -> None:
        """Hold this connection's buckets for the vendor's wait, so sibling workers wait too."""
        for limit in self.rate_limits:
            if limit.scope != "app":
                try:
                    ratelimit.defer(self.bucket_key(limit), limit, seconds)
                except ratelimit.Unavailable:
                    logger.warning("%s: could not hold the bucket", self.spec.slug)

    def _reauthorise(self, response: requests.Response, run: _Run) -> None:
        style = self.spec.auth_header
        if run.refreshed or style in ("basic", "none"):
            message = vendor_error(response, self._secrets(run))[0]
            raise ConnectorError(
                f"{self.spec.slug}: credentials rejected ({message or 'HTTP 401'})",
                status=response.status_code,
                code="unauthorized",
                permanent=True,
                needs_reauth=style == "basic",  # a wrong app password only a person can fix
            )
        run.refreshed = True
        run.token = self.tokens.refresh(self.connection, rejected_token=run.token)

    def _back_off(self, run: _Run, response: requests.Response | None, failure: str) -> None:
        run.failures += 1
        status = response.status_code if response is not None else None
        hint = retry_after_seconds(response, rate_limited=False)
        if run.failures >= settings.VENDOR_INLINE_ATTEMPTS:
            raise ConnectorError(
                f"{self.spec.slug}: {failure} after {run.failures} attempts",
                status=status,
                code="server_error" if status else failure,
                retry_after=_clamp(hint) if hint is not None else None,
            )
        ceiling = settings.VENDOR_BACKOFF_BASE_SECONDS * 2 ** (run.failures - 1)
        delay = random.uniform(0, min(settings.VENDOR_BACKOFF_CAP_SECONDS, ceiling))
        self._pause(run, max(delay, hint or 0.0), response, code=failure)

    def _pause(
        self, run: _Run, delay: float, response: requests.Response | None, *, code: str
    ) -> None:
        """Sleep ``delay`` inline if the budget allows; otherwise hand the wait to Celery."""
        if run.waited + delay > settings.VENDOR_INLINE_WAIT_SECONDS:
            raise ConnectorError(
                f"{self.spec.slug}: {code}; retry in {delay:.1f}s",
                status=response.status_code if response is not None else None,
                code=code,
                retry_after=_clamp(delay),
            )
        self._idle(delay)
        run.waited += delay

    def _idle(self, seconds: float) -> None:
        """Sleep, with no answer held back meanwhile (``ratelimit.answers_batched``)."""
        ratelimit.flush_answers()
        self.sleep(seconds)

    def _refused(self, response: requests.Response, run: _Run) -> ConnectorError:
        message, code = vendor_error(response, self._secrets(run))
        return ConnectorError(
            f"{self.spec.slug} {response.status_code}: {message or response.reason or 'error'}",
            status=response.status_code,
            code=code or f"http_{response.status_code}",
            permanent=True,
        )

    def _secrets(self, run: _Run) -> tuple[str, ...]:
        """What a vendor might echo back that must not reach an error message."""
        return (run.token, self.connection.access_token, self.connection.refresh_token)

    # --- the call log ---------------------------------------------------------------------

    def _record(
        self,
        call: _Call,
        status: int | None,
        started: float,
        run: _Run,
        error: str,
        response: requests.Response | None = None,
    ) -> None:
        path = loggable_path(call.url)
        waited, run.logged_wait = run.waited - run.logged_wait, run.waited
        remaining, limit = rate_limit_state(response)
        if error:
            logger.warning(
                "%s %s %s -> %s (attempt %d, %s)",
                *(self.spec.slug, call.method, path, status, run.attempt, error),
            )
        if self.connection.client_id is None:
            return  # a connection not yet tied to a client (never in practice): nothing to own it
        call_log.add(
            ApiCall(
                client_id=self.connection.client_id,
                connection=self.connection if self.connection.pk else None,
                provider=self.spec.slug,
                method=call.method[:8],
                path=path[:500],
                status=status,
                latency_ms=int((time.monotonic() - started) * 1000),
                attempt=run.attempt,
                error=error[:255],
                waited_ms=int(waited * 1000),
                rate_remaining=remaining,
                rate_limit=limit,
            )
        )


# --- helpers (pure) ---------------------------------------------------------------------------


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.netloc.rsplit("@", 1)[-1]).lower()


def _clamp(seconds: float) -> float:
    """A wait Celery can honour: never negative, never past the broker's visibility timeout."""
    return min(max(0.0, seconds), float(settings.CELERY_MAX_COUNTDOWN))


def _network_failure(exc: requests.RequestException, method: str) -> str:
    """ "timeout" or "connection_error", or ``_UNSAFE_TO_REPEAT`` when a write may have landed.

    A POST or PATCH whose answer never came may have been applied: repeating it inline could
    create a second record, so it goes back to the job, whose retry searches before it creates.
    """
    failure = "timeout" if isinstance(exc, requests.Timeout) else "connection_error"
    if method in _IDEMPOTENT or isinstance(exc, requests.ConnectTimeout):
        return failure
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(reason, urllib3.exceptions.NewConnectionError):
        return failure  # never connected: nothing was sent
    return _UNSAFE_TO_REPEAT


def is_throttle(exc: ConnectorError) -> bool:
    """Whether a failed call was refused for a quota (ours or the vendor's) with a time to
    come back: the work waits that long and a job does not count it as a failed attempt."""
    return exc.retry_after is not None and (exc.status == 429 or exc.code in THROTTLE_CODES)


def _error_code(verdict: str, status: int | None) -> str:
    if verdict == _OK:
        return ""
    if status is None:
        return "timeout" if verdict == _UNSAFE_TO_REPEAT else verdict
    if verdict == _TRANSIENT:
        return "server_error"
    if verdict in (RATE_LIMITED, UNAUTHORIZED):
        return verdict
    return f"http_{status}"
