"""The clients: :class:`Gatehouse` (blocking) and :class:`AsyncGatehouse`
(asyncio), with the same methods.

Each method is written once, in :class:`_TeamMethods`: it builds an
operation from ``_ops`` and hands it to ``self._run``, which performs it and
returns the result in the blocking client, or an awaitable of it in the
asyncio one. So the two clients cannot drift; the asyncio client only
tells type checkers, method by method, that its results are awaitable (see
``_typing``). The job blocks are built the same way.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING, Any, Awaitable, Mapping, Optional, Type, TypeVar, Union

import httpx

from . import _ops
from ._ops import Messages, Op, TimeArg
from ._stream import AsyncChatStream, ChatStream
from ._transport import (
    DEFAULT_BACKOFF_BASE,
    DEFAULT_BACKOFF_MAX,
    DEFAULT_MAX_RETRIES,
    MAX_RETRY_AFTER,
    AsyncTransport,
    Connected,
    Request,
    SyncTransport,
)
from .types import JOB_CANCELLED, JOB_COMPLETED, JOB_FAILED, Balance, ChatResponse, Job, JobCosts, Page, TeamUsage, Transaction

if TYPE_CHECKING:
    from ._typing import awaitable, returning

__all__ = ["AsyncGatehouse", "Gatehouse", "AsyncJobSession", "JobSession"]

T = TypeVar("T")
log = logging.getLogger("gatehouse")

#: The environment variables the clients read when an argument is left out.
ENV_API_KEY = "GATEHOUSE_API_KEY"
ENV_TEAM_ID = "GATEHOUSE_TEAM_ID"


class _TeamConnected(Connected):
    """What both team clients share: the connection options, and the team
    their key belongs to."""

    _key_env = ENV_API_KEY

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        team_id: Optional[str] = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff_base: float = DEFAULT_BACKOFF_BASE,
        backoff_max: float = DEFAULT_BACKOFF_MAX,
        max_retry_after: float = MAX_RETRY_AFTER,
        timeout: Union[float, httpx.Timeout, None] = None,
        http_client: Any = None,
        user_agent: Optional[str] = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            max_retry_after=max_retry_after,
            timeout=timeout,
            http_client=http_client,
            user_agent=user_agent,
        )
        self.team_id: Optional[str] = team_id or os.environ.get(ENV_TEAM_ID) or None
        # Creating a job is made retryable by an Idempotency-Key; without
        # retries there is nothing to deduplicate.
        self._generate_keys = max_retries > 0

    def _team(self, team_id: Optional[str]) -> str:
        team = team_id or self.team_id
        if not team:
            raise ValueError(
                "this needs the team's ID: pass team_id= to the client (or to this method), or set GATEHOUSE_TEAM_ID"
            )
        return team


def _end_status(exc_type: Optional[Type[BaseException]]) -> str:
    """How a job block that raised ends: cancelled when it was interrupted
    (task cancellation, Ctrl-C), failed when its code raised."""
    if exc_type is None:
        return JOB_COMPLETED
    if issubclass(exc_type, Exception):
        return JOB_FAILED
    return JOB_CANCELLED


def _describe(exc: Optional[BaseException]) -> Optional[str]:
    if exc is None:
        return None
    text = f"{type(exc).__name__}: {exc}".rstrip(": ")
    return text[:1000]


class _TeamMethods(_TeamConnected):
    """The job API, written once for both clients (typed as the blocking
    client has it)."""

    def _run(self, op: Op[T]) -> T:  # pragma: no cover - each client has its own
        raise NotImplementedError

    def _stream(self, req: Request) -> ChatStream:  # pragma: no cover
        raise NotImplementedError

    def _session(self, create: Op[Job]) -> "JobSession":  # pragma: no cover
        raise NotImplementedError

    def create_job(
        self,
        job_type: Optional[str] = None,
        *,
        user_id: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
    ) -> Job:
        """Opens a job. In ``job_based`` mode it holds one credit until it
        ends, and raises :class:`~gatehouse.InsufficientCredits` when the
        team cannot spare one. ``idempotency_key`` (an order ID, say) makes
        a repeat return the first job; when absent and retries are on, the
        client generates one, so its own retries never open two jobs."""
        return self._run(_ops.create_job(job_type, user_id, metadata, idempotency_key, self._generate_keys))

    def get_job(self, job_id: str) -> Job:
        """Reads a job; another team's job is :class:`~gatehouse.NotFound`."""
        return self._run(_ops.get_job(job_id))

    def update_metadata(self, job_id: str, metadata: Mapping[str, Any]) -> Job:
        """Merges keys into a job's metadata; a key set to ``None`` is
        removed."""
        return self._run(_ops.update_metadata(job_id, metadata))

    def complete_job(
        self,
        job_id: str,
        status: str = JOB_COMPLETED,
        *,
        metadata: Optional[Mapping[str, Any]] = None,
        error_message: Optional[str] = None,
    ) -> Job:
        """Ends a job: ``"completed"`` is charged, ``"failed"`` and
        ``"cancelled"`` are free. Completing an ended job returns its first
        result and never charges twice."""
        return self._run(_ops.complete_job(job_id, status, metadata, error_message))

    def job_costs(self, job_id: str) -> JobCosts:
        """A job's charge and every call's tokens, cost, latency, alias,
        provider model, status and error."""
        return self._run(_ops.job_costs(job_id))

    def list_jobs(
        self,
        *,
        status: Optional[str] = None,
        job_type: Optional[str] = None,
        since: TimeArg = None,
        until: TimeArg = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        team_id: Optional[str] = None,
    ) -> Page[Job]:
        """One page of the team's jobs, newest first."""
        return self._run(_ops.list_jobs(self._team(team_id), status, job_type, since, until, limit, offset))

    def chat(self, /, job_id: str, model: str, messages: Messages, **params: Any) -> ChatResponse:
        """Calls model alias ``model`` inside job ``job_id`` and returns the
        whole answer with its usage and cost. ``params`` are OpenAI's
        (``temperature``, ``max_tokens``, ``tools``, ``tool_choice``,
        ``response_format``, …) plus Gatehouse's ``purpose`` and
        ``call_metadata``; others are forwarded to OpenAI-compatible
        providers. An ended job is :class:`~gatehouse.Conflict`."""
        return self._run(_ops.chat(job_id, model, messages, params))

    def chat_stream(self, /, job_id: str, model: str, messages: Messages, **params: Any) -> ChatStream:
        """Calls ``model`` inside job ``job_id``, streamed: iterating the
        result (``for``; ``async for`` on AsyncGatehouse) yields
        :class:`~gatehouse.TextDelta` and :class:`~gatehouse.ToolCallDelta`
        events, then one :class:`~gatehouse.StreamDone` with usage, cost and
        credits remaining. The request is made when iteration starts;
        leaving the loop cancels the call."""
        return self._stream(_ops.chat(job_id, model, messages, params, stream=True).req)

    def structured(
        self,
        /,
        job_id: str,
        model: str,
        messages: Messages,
        schema: Any,
        *,
        name: Optional[str] = None,
        strict: Optional[bool] = None,
        **params: Any,
    ) -> Any:
        """Asks for an answer matching ``schema`` — a JSON schema (dict), or
        a Pydantic model class when Pydantic is installed — and returns it
        decoded: a dict, or an instance of the model. An answer that does
        not decode raises :class:`~gatehouse.StructuredOutputError`."""
        return self._run(_ops.structured(job_id, model, messages, schema, name, strict, params))

    def ask(
        self,
        /,
        model: str,
        messages: Messages,
        *,
        job_type: Optional[str] = None,
        user_id: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
        **params: Any,
    ) -> ChatResponse:
        """Runs a one-call job in one request: created, called and ended —
        completed and charged when the call succeeds, failed and free when
        it does not. The ended job is in ``response.job``."""
        return self._run(_ops.ask(model, messages, job_type, user_id, metadata, idempotency_key, params))

    def ask_stream(
        self,
        /,
        model: str,
        messages: Messages,
        *,
        job_type: Optional[str] = None,
        user_id: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
        **params: Any,
    ) -> ChatStream:
        """:meth:`ask`, streamed; the final event carries the ended job."""
        return self._stream(_ops.ask(model, messages, job_type, user_id, metadata, idempotency_key, params, stream=True).req)

    def balance(self, *, team_id: Optional[str] = None) -> Balance:
        """The team's credits and how it pays."""
        return self._run(_ops.balance(self._team(team_id)))

    def transactions(self, *, limit: Optional[int] = None, offset: Optional[int] = None, team_id: Optional[str] = None) -> Page[Transaction]:
        """One page of the team's credit ledger, newest first."""
        return self._run(_ops.transactions(self._team(team_id), limit, offset))

    def usage(
        self, period: Optional[str] = None, *, since: TimeArg = None, until: TimeArg = None, team_id: Optional[str] = None
    ) -> TeamUsage:
        """The team's usage for a month (``period="2026-12"``; default this
        month) or a range: totals, and by job type, by model and by day."""
        return self._run(_ops.usage(self._team(team_id), period, since, until))

    def job(
        self,
        job_type: Optional[str] = None,
        *,
        user_id: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
    ) -> "JobSession":
        """A job as a ``with`` block (``async with`` on AsyncGatehouse):
        created on entry, completed when the block ends normally, failed
        (free) when it raises, and cancelled when it is interrupted (task
        cancelled, Ctrl-C); the exception still propagates.

        ::

            async with client.job("summarize") as job:
                answer = await job.chat(model="smart", messages=[...])
        """
        return self._session(_ops.create_job(job_type, user_id, metadata, idempotency_key, self._generate_keys))


class Gatehouse(_TeamMethods):
    """The blocking client for Gatehouse's job API, authenticated with one
    team's virtual key (``gh-sk-…``).

    ``base_url`` defaults to ``GATEHOUSE_BASE_URL`` or
    ``http://localhost:8003``, ``api_key`` to ``GATEHOUSE_API_KEY``, and
    ``team_id`` (needed only by :meth:`balance`, :meth:`transactions`,
    :meth:`usage` and :meth:`list_jobs`) to ``GATEHOUSE_TEAM_ID``. Failed
    requests are retried ``max_retries`` times with backoff and jitter, only
    where repeating cannot do work twice (see the README). Create one client
    and share it, so connections are pooled; close it with ``with`` or
    :meth:`close`. :class:`AsyncGatehouse` has the same methods, awaitable.
    """

    _transport_class = SyncTransport
    _transport: SyncTransport

    def _run(self, op: Op[T]) -> T:
        return op.parse(self._transport.call(op.req))

    def _stream(self, req: Request) -> ChatStream:
        return ChatStream(self._transport, req)

    def _session(self, create: Op[Job]) -> "JobSession":
        return JobSession(self, create)

    def close(self) -> None:
        """Closes the connections (unless the http_client was yours)."""
        self._transport.close()

    def __enter__(self) -> "Gatehouse":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


if TYPE_CHECKING:
    _AsyncTeamBase = _TeamConnected
else:
    _AsyncTeamBase = _TeamMethods


class AsyncGatehouse(_AsyncTeamBase):
    """The asyncio client for Gatehouse's job API: :class:`Gatehouse`'s
    methods and arguments, each awaitable — except :meth:`chat_stream` and
    :meth:`ask_stream`, which return an :class:`AsyncChatStream` to iterate
    with ``async for``, and :meth:`job`, an ``async with`` block. Close it
    with ``async with`` or :meth:`aclose`.
    """

    _transport_class = AsyncTransport
    _transport: AsyncTransport

    if TYPE_CHECKING:
        create_job = awaitable(_TeamMethods.create_job)
        get_job = awaitable(_TeamMethods.get_job)
        update_metadata = awaitable(_TeamMethods.update_metadata)
        complete_job = awaitable(_TeamMethods.complete_job)
        job_costs = awaitable(_TeamMethods.job_costs)
        list_jobs = awaitable(_TeamMethods.list_jobs)
        chat = awaitable(_TeamMethods.chat)
        structured = awaitable(_TeamMethods.structured)
        ask = awaitable(_TeamMethods.ask)
        balance = awaitable(_TeamMethods.balance)
        transactions = awaitable(_TeamMethods.transactions)
        usage = awaitable(_TeamMethods.usage)
        chat_stream = returning(_TeamMethods.chat_stream, AsyncChatStream)
        ask_stream = returning(_TeamMethods.ask_stream, AsyncChatStream)
        job = returning(_TeamMethods.job, AsyncJobSession)

    async def _arun(self, op: Op[T]) -> T:
        return op.parse(await self._transport.call(op.req))

    def _run(self, op: Op[T]) -> Awaitable[T]:
        return self._arun(op)

    def _stream(self, req: Request) -> AsyncChatStream:
        return AsyncChatStream(self._transport, req)

    def _session(self, create: Op[Job]) -> "AsyncJobSession":
        return AsyncJobSession(self, create)

    async def aclose(self) -> None:
        """Closes the connections (unless the http_client was yours)."""
        await self._transport.aclose()

    async def __aenter__(self) -> "AsyncGatehouse":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


class _SessionState:
    """A job block's state, shared by the sync and async sessions."""

    def __init__(self, create: Op[Job]) -> None:
        self._create = create
        self._job: Optional[Job] = None
        self.ended = False

    @property
    def job(self) -> Job:
        """The job as it was created, or as it last ended."""
        if self._job is None:
            raise RuntimeError("the job is created when its block is entered")
        return self._job

    @property
    def job_id(self) -> str:
        """The job's ID."""
        return self.job.job_id

    def _ended(self, job: Job) -> Job:
        self._job, self.ended = job, True
        return job

    def _end_args(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException]) -> Optional[Op[Job]]:
        """The completion a block's exit calls for; None when the block
        already ended the job itself."""
        if self.ended or self._job is None:
            return None
        return _ops.complete_job(self.job_id, _end_status(exc_type), None, _describe(exc))


class _SessionMethods(_SessionState):
    """A job block's calls, written once for both clients: each passes the
    job's ID to the client's method and returns what it returns (a result,
    or an awaitable of it)."""

    _client: Gatehouse

    def chat(self, /, model: str, messages: Messages, **params: Any) -> ChatResponse:
        """Calls a model alias inside this job."""
        return self._client.chat(self.job_id, model, messages, **params)

    def chat_stream(self, /, model: str, messages: Messages, **params: Any) -> ChatStream:
        """Calls a model alias inside this job, streamed."""
        return self._client.chat_stream(self.job_id, model, messages, **params)

    def structured(self, /, model: str, messages: Messages, schema: Any, **params: Any) -> Any:
        """Asks for an answer matching ``schema`` inside this job."""
        return self._client.structured(self.job_id, model, messages, schema, **params)

    def update_metadata(self, metadata: Mapping[str, Any]) -> Job:
        """Merges keys into this job's metadata."""
        return self._client.update_metadata(self.job_id, metadata)

    def costs(self) -> JobCosts:
        """This job's costs so far and every call it made."""
        return self._client.job_costs(self.job_id)

    def complete(self, *, metadata: Optional[Mapping[str, Any]] = None) -> Job:
        """Completes the job now (charged); the block's end then does nothing."""
        return self._end_now(JOB_COMPLETED, metadata, None)

    def fail(self, error_message: str, *, metadata: Optional[Mapping[str, Any]] = None) -> Job:
        """Fails the job now (free), without raising."""
        return self._end_now(JOB_FAILED, metadata, error_message)

    def cancel(self, *, metadata: Optional[Mapping[str, Any]] = None) -> Job:
        """Cancels the job now (free)."""
        return self._end_now(JOB_CANCELLED, metadata, None)

    def _end_now(self, status: str, metadata: Optional[Mapping[str, Any]], error_message: Optional[str]) -> Job:  # pragma: no cover
        raise NotImplementedError


def _log_end_failure(job_id: str, err: BaseException) -> None:
    # The block's own exception is what the caller must see; the failed
    # completion is logged, and the job expires after job_ttl anyway.
    log.warning("gatehouse: ending job %s after an exception failed: %s", job_id, err)


class JobSession(_SessionMethods):
    """An open job inside ``with client.job(…) as job:``; its calls need no
    ``job_id``."""

    def __init__(self, client: Gatehouse, create: Op[Job]) -> None:
        super().__init__(create)
        self._client = client

    def _end_now(self, status: str, metadata: Optional[Mapping[str, Any]], error_message: Optional[str]) -> Job:
        return self._ended(self._client.complete_job(self.job_id, status, metadata=metadata, error_message=error_message))

    def __enter__(self) -> "JobSession":
        job = self._client._run(self._create)
        self._job = job
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Any) -> None:
        op = self._end_args(exc_type, exc)
        if op is None:
            return
        if exc_type is None:
            self._ended(self._client._run(op))
            return
        try:
            self._ended(self._client._run(op))
        except Exception as err:
            _log_end_failure(self.job_id, err)


if TYPE_CHECKING:
    _AsyncSessionBase = _SessionState
else:
    _AsyncSessionBase = _SessionMethods


class AsyncJobSession(_AsyncSessionBase):
    """An open job inside ``async with client.job(…) as job:``: the calls of
    :class:`JobSession`, awaitable."""

    _client: AsyncGatehouse

    if TYPE_CHECKING:
        chat = awaitable(_SessionMethods.chat)
        structured = awaitable(_SessionMethods.structured)
        update_metadata = awaitable(_SessionMethods.update_metadata)
        costs = awaitable(_SessionMethods.costs)
        complete = awaitable(_SessionMethods.complete)
        fail = awaitable(_SessionMethods.fail)
        cancel = awaitable(_SessionMethods.cancel)
        chat_stream = returning(_SessionMethods.chat_stream, AsyncChatStream)

    def __init__(self, client: AsyncGatehouse, create: Op[Job]) -> None:
        super().__init__(create)
        self._client = client

    async def _end_now(self, status: str, metadata: Optional[Mapping[str, Any]], error_message: Optional[str]) -> Job:
        return self._ended(await self._client.complete_job(self.job_id, status, metadata=metadata, error_message=error_message))

    async def __aenter__(self) -> "AsyncJobSession":
        job = await self._client._run(self._create)
        self._job = job
        return self

    async def __aexit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Any) -> None:
        op = self._end_args(exc_type, exc)
        if op is None:
            return
        if exc_type is None:
            self._ended(await self._client._run(op))
            return
        try:
            self._ended(await asyncio.shield(self._client._run(op)))
        except (Exception, asyncio.CancelledError) as err:
            _log_end_failure(self.job_id, err)
