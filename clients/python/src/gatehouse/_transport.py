"""Sending requests to Gatehouse: authentication, JSON, error mapping and
the retry rule, shared by the sync and async clients.

The retry rule is the Go client's (client/retry.go), so both clients
behave the same: a request is repeated only where repeating cannot do a
piece of work twice.

- *Idempotent* requests (reads, metadata merges, completing a job, creating
  one under an Idempotency-Key) are retried on network errors, 429 and 5xx.
- Requests that *do work* (LLM calls, which may cost money) are retried only
  when the server certainly did nothing: it answered 429 or 503, or the
  request never fully left this process.

The rule itself lives once, in :meth:`Policy.attempts`, a generator that
says when to send and how long to wait; the sync and async transports only
perform what it says.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import random
import re
import ssl
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Dict, Generator, Mapping, Optional, Union

import httpx

from ._version import __version__
from .errors import APIConnectionError, APIError, APITimeoutError, error_from_response

DEFAULT_BASE_URL = "http://localhost:8003"
#: How many times a failed request may be repeated by default.
DEFAULT_MAX_RETRIES = 2
#: The first backoff (seconds); the n-th wait is drawn between half and all
#: of base·2ⁿ⁻¹, capped at DEFAULT_BACKOFF_MAX, so clients that failed
#: together do not retry together.
DEFAULT_BACKOFF_BASE = 0.25
DEFAULT_BACKOFF_MAX = 8.0
#: The longest Retry-After the client sits out by itself; a longer one is
#: raised at once (with its ``retry_after``), because silently blocking for
#: minutes is worse than letting the caller decide.
MAX_RETRY_AFTER = 60.0
#: A model may take minutes to answer (Gatehouse allows a call ten), but a
#: connection that cannot be opened in ten seconds will not be.
DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=10.0)
USER_AGENT = f"gatehouse-python/{__version__}"

#: httpx errors raised before the whole request was written: the server
#: cannot have acted on it.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.ProxyError,
)


@dataclass
class Request:
    """One API request, kept whole so that it can be sent again."""

    method: str
    path: str
    body: Any = None
    params: Optional[Dict[str, str]] = None
    headers: Optional[Dict[str, str]] = None
    #: Whether repeating the request after it reached the server is safe.
    idempotent: bool = False
    stream: bool = False


# A Decimal is written as a marked string, then the marks are replaced by
# the number's own digits: json cannot write a number it did not get as a
# float, and a float would round the amount.
_NUMBER_MARK = "\x00gatehouse-number:"
_NUMBER_RE = re.compile(r'"\\u0000gatehouse-number:(-?[0-9]+(?:\.[0-9]+)?)\\u0000"')


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Gatehouse reads amounts as JSON numbers, exactly (credits must
        # be numbers, not strings).
        if not value.is_finite():
            raise ValueError(f"{value} is not an amount")
        return _NUMBER_MARK + format(value, "f") + "\x00"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON-encodable")


def encode_json(value: Any) -> bytes:
    """Encodes a request body; Decimals go as JSON numbers written with
    their exact digits, so no amount passes through a float."""
    text = json.dumps(value, default=_json_default, ensure_ascii=False)
    return _NUMBER_RE.sub(r"\1", text).encode("utf-8")


def decode_json(content: bytes) -> Any:
    """Decodes an answer, keeping every non-integer number as a Decimal."""
    if not content:
        return None
    return json.loads(content.decode("utf-8"), parse_float=Decimal)


def connection_error(exc: httpx.HTTPError, method: str, path: str) -> APIConnectionError:
    """Turns an httpx failure into this package's error, saying whether the
    request could have reached the server."""
    sent = not isinstance(exc, _NOT_SENT)
    text = f"{method} {path}: {type(exc).__name__}: {exc}"
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(text, sent=sent)
    return APIConnectionError(text, sent=sent)


#: What one attempt produced: a 2xx response, or the error it amounts to.
Outcome = Union[httpx.Response, APIError, APIConnectionError]


class Policy:
    """The retry rule and backoff, with no I/O of its own."""

    def __init__(
        self,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff_base: float = DEFAULT_BACKOFF_BASE,
        backoff_max: float = DEFAULT_BACKOFF_MAX,
        max_retry_after: float = MAX_RETRY_AFTER,
    ) -> None:
        self.max_retries = max(int(max_retries), 0)
        self.backoff_base = backoff_base if backoff_base > 0 else DEFAULT_BACKOFF_BASE
        self.backoff_max = max(backoff_max if backoff_max > 0 else DEFAULT_BACKOFF_MAX, self.backoff_base)
        self.max_retry_after = max_retry_after

    @staticmethod
    def should_retry(idempotent: bool, err: Union[APIError, APIConnectionError]) -> bool:
        """The rule: an idempotent request is retried on a network error,
        429 and 5xx; one that does work only on 429, 503, or when it never
        left."""
        if isinstance(err, APIConnectionError):
            return idempotent or not err.sent
        if err.status in (429, 503):
            return True
        return idempotent and err.status >= 500

    def wait(self, n: int, err: Union[APIError, APIConnectionError]) -> Optional[float]:
        """The wait before retry n (1-based): the server's Retry-After when
        it gave one, else exponential backoff with equal jitter. ``None``
        when the Retry-After is too long to sit out."""
        retry_after = err.retry_after if isinstance(err, APIError) else None
        if retry_after:
            return retry_after if retry_after <= self.max_retry_after else None
        exp = min(self.backoff_base * 2.0 ** (n - 1), self.backoff_max)
        return exp / 2 + random.uniform(0, exp / 2)

    def attempts(self, req: Request) -> Generator[Optional[float], Optional[Outcome], httpx.Response]:
        """Drives one request: yields ``None`` to have it sent (and receives
        the outcome) or a number of seconds to sleep; returns the 2xx
        response or raises the error to give up with."""
        n = 0
        while True:
            outcome = yield None
            if isinstance(outcome, httpx.Response):
                return outcome
            assert outcome is not None
            if n >= self.max_retries or not self.should_retry(req.idempotent, outcome):
                raise outcome
            delay = self.wait(n + 1, outcome)
            if delay is None:
                raise outcome
            n += 1
            yield delay


class _Base:
    """What both transports share: where to send, as whom, and the rule."""

    #: The httpx client class a transport makes when not given one.
    http_class: ClassVar[type]

    def __init__(
        self,
        base_url: Optional[str],
        api_key: Optional[str],
        *,
        policy: Policy,
        timeout: Union[float, httpx.Timeout, None],
        http_client: Any,
        user_agent: Optional[str],
        key_env: str,
    ) -> None:
        base_url = base_url or os.environ.get("GATEHOUSE_BASE_URL") or DEFAULT_BASE_URL
        api_key = api_key or os.environ.get(key_env)
        if not api_key:
            raise ValueError(f"no API key: pass api_key= or set {key_env}")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.policy = policy
        self.user_agent = user_agent or USER_AGENT
        self._owns_http = http_client is None
        self.http = http_client or self.http_class(timeout=timeout if timeout is not None else DEFAULT_TIMEOUT, verify=_ssl_context())

    def build(self, http: Union[httpx.Client, httpx.AsyncClient], req: Request) -> httpx.Request:
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "User-Agent": self.user_agent,
            "Accept": "text/event-stream" if req.stream else "application/json",
        }
        content = None
        if req.body is not None:
            content = encode_json(req.body)
            headers["Content-Type"] = "application/json"
        if req.headers:
            headers.update(req.headers)
        return http.build_request(req.method, self.base_url + req.path, content=content, params=req.params, headers=headers)


@functools.lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """The TLS settings every client of this process shares: what httpx
    would make for each (system trust, SSL_CERT_FILE/SSL_CERT_DIR), made
    once, because loading the CA bundle costs a tenth of a second per
    client."""
    return httpx.create_ssl_context()


def _error_of(resp: httpx.Response) -> APIError:
    return error_from_response(resp.status_code, resp.headers, resp.content)


class SyncTransport(_Base):
    """Sends requests with a blocking httpx.Client."""

    http_class = httpx.Client
    http: httpx.Client

    def sleep(self, seconds: float) -> None:
        """Waits between attempts (tests replace it to observe the waits)."""
        time.sleep(seconds)

    def _attempt(self, req: Request) -> Outcome:
        try:
            resp = self.http.send(self.build(self.http, req), stream=req.stream)
        except httpx.HTTPError as exc:
            return connection_error(exc, req.method, req.path)
        if 200 <= resp.status_code < 300:
            return resp
        try:
            resp.read()
        except httpx.HTTPError as exc:
            return connection_error(exc, req.method, req.path)
        finally:
            resp.close()
        return _error_of(resp)

    def send(self, req: Request) -> httpx.Response:
        """Performs ``req`` under the retry rule and returns the 2xx
        response (open, for a stream: the caller closes it)."""
        plan = self.policy.attempts(req)
        step = next(plan)
        try:
            while True:
                if step is None:
                    step = plan.send(self._attempt(req))
                else:
                    self.sleep(step)
                    step = plan.send(None)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    def call(self, req: Request) -> Any:
        """Performs ``req`` and decodes its JSON answer."""
        return decode_json(self.send(req).content)

    def close(self) -> None:
        if self._owns_http:
            self.http.close()


class AsyncTransport(_Base):
    """Sends requests with an httpx.AsyncClient."""

    http_class = httpx.AsyncClient
    http: httpx.AsyncClient

    async def sleep(self, seconds: float) -> None:
        """Waits between attempts (tests replace it to observe the waits)."""
        await asyncio.sleep(seconds)

    async def _attempt(self, req: Request) -> Outcome:
        try:
            resp = await self.http.send(self.build(self.http, req), stream=req.stream)
        except httpx.HTTPError as exc:
            return connection_error(exc, req.method, req.path)
        if 200 <= resp.status_code < 300:
            return resp
        try:
            await resp.aread()
        except httpx.HTTPError as exc:
            return connection_error(exc, req.method, req.path)
        finally:
            await resp.aclose()
        return _error_of(resp)

    async def send(self, req: Request) -> httpx.Response:
        """Performs ``req`` under the retry rule and returns the 2xx
        response (open, for a stream: the caller closes it)."""
        plan = self.policy.attempts(req)
        step = next(plan)
        try:
            while True:
                if step is None:
                    step = plan.send(await self._attempt(req))
                else:
                    await self.sleep(step)
                    step = plan.send(None)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    async def call(self, req: Request) -> Any:
        """Performs ``req`` and decodes its JSON answer."""
        return decode_json((await self.send(req)).content)

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()


class Connected:
    """The connection options every client takes, in one place: the team
    clients and the admin clients differ only in their transport (blocking
    or asyncio) and the environment variable their key defaults to.

    ``http_client`` is an ``httpx.Client`` for the blocking classes and an
    ``httpx.AsyncClient`` for the asyncio ones."""

    _transport_class: ClassVar[type]
    _key_env: ClassVar[str]

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff_base: float = DEFAULT_BACKOFF_BASE,
        backoff_max: float = DEFAULT_BACKOFF_MAX,
        max_retry_after: float = MAX_RETRY_AFTER,
        timeout: Union[float, httpx.Timeout, None] = None,
        http_client: Any = None,
        user_agent: Optional[str] = None,
    ) -> None:
        self._transport = self._transport_class(
            base_url,
            api_key,
            policy=Policy(max_retries, backoff_base, backoff_max, max_retry_after),
            timeout=timeout,
            http_client=http_client,
            user_agent=user_agent,
            key_env=self._key_env,
        )

    @property
    def base_url(self) -> str:
        """The Gatehouse this client talks to."""
        return str(self._transport.base_url)


def query(params: Mapping[str, Any]) -> Optional[Dict[str, str]]:
    """Renders query parameters, leaving out those that are None."""
    out: Dict[str, str] = {}
    for k, v in params.items():
        if v is None:
            continue
        if isinstance(v, bool):
            out[k] = "true" if v else "false"
        elif hasattr(v, "isoformat"):
            out[k] = v.isoformat()
        else:
            out[k] = str(v)
    return out or None
