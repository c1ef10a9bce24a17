"""The clients: :class:`AsyncGatehouse` (asyncio) and :class:`Gatehouse`
(blocking), with the same methods. Each method is an operation from
``_ops`` sent through the client's transport, so the two cannot drift."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Mapping, Optional, Type, TypeVar, Union

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
    Policy,
    SyncTransport,
)
from .types import JOB_CANCELLED, JOB_COMPLETED, JOB_FAILED, Balance, ChatResponse, Job, JobCosts, Page, TeamUsage, Transaction

__all__ = ["AsyncGatehouse", "Gatehouse", "AsyncJobSession", "JobSession"]

T = TypeVar("T")
log = logging.getLogger("gatehouse")

#: The environment variables the clients read when an argument is left out.
ENV_API_KEY = "GATEHOUSE_API_KEY"
ENV_TEAM_ID = "GATEHOUSE_TEAM_ID"


class _Common:
    """Settings both clients share."""

    team_id: Optional[str]
    _generate_keys: bool

    def _setup(self, team_id: Optional[str], max_retries: int) -> None:
        self.team_id = team_id or os.environ.get(ENV_TEAM_ID) or None
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


class AsyncGatehouse(_Common):
    """The asyncio client for Gatehouse's job API, authenticated with one
    team's virtual key (``gh-sk-…``).

    ``base_url`` defaults to ``GATEHOUSE_BASE_URL`` or
    ``http://localhost:8003``, ``api_key`` to ``GATEHOUSE_API_KEY``, and
    ``team_id`` (needed only by :meth:`balance`, :meth:`transactions`,
    :meth:`usage` and :meth:`list_jobs`) to ``GATEHOUSE_TEAM_ID``. Failed
    requests are retried ``max_retries`` times with backoff and jitter, only
    where repeating cannot do work twice (see the README). Create one client
    and share it, so connections are pooled; close it with ``async with`` or
    :meth:`aclose`.
    """

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
        http_client: Optional[httpx.AsyncClient] = None,
        user_agent: Optional[str] = None,
    ) -> None:
        self._setup(team_id, max_retries)
        self._transport = AsyncTransport(
            base_url,
            api_key,
            policy=Policy(max_retries, backoff_base, backoff_max, max_retry_after),
            timeout=timeout,
            http_client=http_client,
            user_agent=user_agent,
            key_env=ENV_API_KEY,
        )

    @property
    def base_url(self) -> str:
        """The Gatehouse this client talks to."""
        return self._transport.base_url

    async def _run(self, op: Op[T]) -> T:
        return op.parse(await self._transport.call(op.req))

    async def create_job(
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
        return await self._run(_ops.create_job(job_type, user_id, metadata, idempotency_key, self._generate_keys))

    async def get_job(self, job_id: str) -> Job:
        """Reads a job; another team's job is :class:`~gatehouse.NotFound`."""
        return await self._run(_ops.get_job(job_id))

    async def update_metadata(self, job_id: str, metadata: Mapping[str, Any]) -> Job:
        """Merges keys into a job's metadata; a key set to ``None`` is
        removed."""
        return await self._run(_ops.update_metadata(job_id, metadata))

    async def complete_job(
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
        return await self._run(_ops.complete_job(job_id, status, metadata, error_message))

    async def job_costs(self, job_id: str) -> JobCosts:
        """A job's charge and every call's tokens, cost, latency, alias,
        provider model, status and error."""
        return await self._run(_ops.job_costs(job_id))

    async def list_jobs(
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
        return await self._run(_ops.list_jobs(self._team(team_id), status, job_type, since, until, limit, offset))

    async def chat(self, job_id: str, model: str, messages: Messages, **params: Any) -> ChatResponse:
        """Calls model alias ``model`` inside job ``job_id`` and returns the
        whole answer with its usage and cost. ``params`` are OpenAI's
        (``temperature``, ``max_tokens``, ``tools``, ``tool_choice``,
        ``response_format``, …) plus Gatehouse's ``purpose`` and
        ``call_metadata``; others are forwarded to OpenAI-compatible
        providers. An ended job is :class:`~gatehouse.Conflict`."""
        return await self._run(_ops.chat(job_id, model, messages, params))

    def chat_stream(self, job_id: str, model: str, messages: Messages, **params: Any) -> AsyncChatStream:
        """Calls ``model`` inside job ``job_id``, streamed: ``async for``
        over the result yields :class:`~gatehouse.TextDelta` and
        :class:`~gatehouse.ToolCallDelta` events, then one
        :class:`~gatehouse.StreamDone` with usage, cost and credits
        remaining. Leaving the loop cancels the call."""
        return AsyncChatStream(self._transport, _ops.chat(job_id, model, messages, params, stream=True).req)

    async def structured(
        self,
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
        return await self._run(_ops.structured(job_id, model, messages, schema, name, strict, params))

    async def ask(
        self,
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
        return await self._run(_ops.ask(model, messages, job_type, user_id, metadata, idempotency_key, params))

    def ask_stream(
        self,
        model: str,
        messages: Messages,
        *,
        job_type: Optional[str] = None,
        user_id: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
        **params: Any,
    ) -> AsyncChatStream:
        """:meth:`ask`, streamed; the final event carries the ended job."""
        return AsyncChatStream(self._transport, _ops.ask(model, messages, job_type, user_id, metadata, idempotency_key, params, stream=True).req)

    async def balance(self, *, team_id: Optional[str] = None) -> Balance:
        """The team's credits and how it pays."""
        return await self._run(_ops.balance(self._team(team_id)))

    async def transactions(self, *, limit: Optional[int] = None, offset: Optional[int] = None, team_id: Optional[str] = None) -> Page[Transaction]:
        """One page of the team's credit ledger, newest first."""
        return await self._run(_ops.transactions(self._team(team_id), limit, offset))

    async def usage(
        self, period: Optional[str] = None, *, since: TimeArg = None, until: TimeArg = None, team_id: Optional[str] = None
    ) -> TeamUsage:
        """The team's usage for a month (``period="2026-12"``; default this
        month) or a range: totals, and by job type, by model and by day."""
        return await self._run(_ops.usage(self._team(team_id), period, since, until))

    def job(
        self,
        job_type: Optional[str] = None,
        *,
        user_id: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
    ) -> "AsyncJobSession":
        """A job as an ``async with`` block: created on entry, completed
        when the block ends normally, failed (free) when it raises, and
        cancelled when its task is cancelled; the exception still
        propagates.

        ::

            async with client.job("summarize") as job:
                answer = await job.chat(model="smart", messages=[...])
        """
        return AsyncJobSession(self, _ops.create_job(job_type, user_id, metadata, idempotency_key, self._generate_keys))

    async def aclose(self) -> None:
        """Closes the connections (unless the http_client was yours)."""
        await self._transport.aclose()

    async def __aenter__(self) -> "AsyncGatehouse":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


class Gatehouse(_Common):
    """The blocking client for Gatehouse's job API: the same methods as
    :class:`AsyncGatehouse`, without ``await``. Close it with ``with`` or
    :meth:`close`."""

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
        http_client: Optional[httpx.Client] = None,
        user_agent: Optional[str] = None,
    ) -> None:
        self._setup(team_id, max_retries)
        self._transport = SyncTransport(
            base_url,
            api_key,
            policy=Policy(max_retries, backoff_base, backoff_max, max_retry_after),
            timeout=timeout,
            http_client=http_client,
            user_agent=user_agent,
            key_env=ENV_API_KEY,
        )

    @property
    def base_url(self) -> str:
        """The Gatehouse this client talks to."""
        return self._transport.base_url

    def _run(self, op: Op[T]) -> T:
        return op.parse(self._transport.call(op.req))

    def create_job(
        self,
        job_type: Optional[str] = None,
        *,
        user_id: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
    ) -> Job:
        """Opens a job (see :meth:`AsyncGatehouse.create_job`)."""
        return self._run(_ops.create_job(job_type, user_id, metadata, idempotency_key, self._generate_keys))

    def get_job(self, job_id: str) -> Job:
        """Reads a job; another team's job is :class:`~gatehouse.NotFound`."""
        return self._run(_ops.get_job(job_id))

    def update_metadata(self, job_id: str, metadata: Mapping[str, Any]) -> Job:
        """Merges keys into a job's metadata; ``None`` removes a key."""
        return self._run(_ops.update_metadata(job_id, metadata))

    def complete_job(
        self,
        job_id: str,
        status: str = JOB_COMPLETED,
        *,
        metadata: Optional[Mapping[str, Any]] = None,
        error_message: Optional[str] = None,
    ) -> Job:
        """Ends a job: completed is charged, failed and cancelled are free."""
        return self._run(_ops.complete_job(job_id, status, metadata, error_message))

    def job_costs(self, job_id: str) -> JobCosts:
        """A job's charge and every call it made."""
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

    def chat(self, job_id: str, model: str, messages: Messages, **params: Any) -> ChatResponse:
        """Calls a model alias inside a job (see :meth:`AsyncGatehouse.chat`)."""
        return self._run(_ops.chat(job_id, model, messages, params))

    def chat_stream(self, job_id: str, model: str, messages: Messages, **params: Any) -> ChatStream:
        """Calls a model alias inside a job, streamed: iterate the result
        for typed events. Leaving the loop cancels the call."""
        return ChatStream(self._transport, _ops.chat(job_id, model, messages, params, stream=True).req)

    def structured(
        self,
        job_id: str,
        model: str,
        messages: Messages,
        schema: Any,
        *,
        name: Optional[str] = None,
        strict: Optional[bool] = None,
        **params: Any,
    ) -> Any:
        """Asks for an answer matching ``schema`` (a JSON schema dict or a
        Pydantic model class) and returns it decoded."""
        return self._run(_ops.structured(job_id, model, messages, schema, name, strict, params))

    def ask(
        self,
        model: str,
        messages: Messages,
        *,
        job_type: Optional[str] = None,
        user_id: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
        **params: Any,
    ) -> ChatResponse:
        """Runs a one-call job in one request (see :meth:`AsyncGatehouse.ask`)."""
        return self._run(_ops.ask(model, messages, job_type, user_id, metadata, idempotency_key, params))

    def ask_stream(
        self,
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
        return ChatStream(self._transport, _ops.ask(model, messages, job_type, user_id, metadata, idempotency_key, params, stream=True).req)

    def balance(self, *, team_id: Optional[str] = None) -> Balance:
        """The team's credits and how it pays."""
        return self._run(_ops.balance(self._team(team_id)))

    def transactions(self, *, limit: Optional[int] = None, offset: Optional[int] = None, team_id: Optional[str] = None) -> Page[Transaction]:
        """One page of the team's credit ledger, newest first."""
        return self._run(_ops.transactions(self._team(team_id), limit, offset))

    def usage(
        self, period: Optional[str] = None, *, since: TimeArg = None, until: TimeArg = None, team_id: Optional[str] = None
    ) -> TeamUsage:
        """The team's usage for a month or a range."""
        return self._run(_ops.usage(self._team(team_id), period, since, until))

    def job(
        self,
        job_type: Optional[str] = None,
        *,
        user_id: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
    ) -> "JobSession":
        """A job as a ``with`` block: completed when it ends normally,
        failed when it raises (see :meth:`AsyncGatehouse.job`)."""
        return JobSession(self, _ops.create_job(job_type, user_id, metadata, idempotency_key, self._generate_keys))

    def close(self) -> None:
        """Closes the connections (unless the http_client was yours)."""
        self._transport.close()

    def __enter__(self) -> "Gatehouse":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


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


def _log_end_failure(job_id: str, err: BaseException) -> None:
    # The block's own exception is what the caller must see; the failed
    # completion is logged, and the job expires after job_ttl anyway.
    log.warning("gatehouse: ending job %s after an exception failed: %s", job_id, err)


class AsyncJobSession(_SessionState):
    """An open job inside ``async with client.job(…) as job:``; its calls
    need no ``job_id``."""

    def __init__(self, client: AsyncGatehouse, create: Op[Job]) -> None:
        super().__init__(create)
        self._client = client

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

    async def chat(self, model: str, messages: Messages, **params: Any) -> ChatResponse:
        """Calls a model alias inside this job."""
        return await self._client.chat(self.job_id, model, messages, **params)

    def chat_stream(self, model: str, messages: Messages, **params: Any) -> AsyncChatStream:
        """Calls a model alias inside this job, streamed."""
        return self._client.chat_stream(self.job_id, model, messages, **params)

    async def structured(self, model: str, messages: Messages, schema: Any, **params: Any) -> Any:
        """Asks for an answer matching ``schema`` inside this job."""
        return await self._client.structured(self.job_id, model, messages, schema, **params)

    async def update_metadata(self, metadata: Mapping[str, Any]) -> Job:
        """Merges keys into this job's metadata."""
        return await self._client.update_metadata(self.job_id, metadata)

    async def costs(self) -> JobCosts:
        """This job's costs so far and every call it made."""
        return await self._client.job_costs(self.job_id)

    async def complete(self, *, metadata: Optional[Mapping[str, Any]] = None) -> Job:
        """Completes the job now (charged); the block's end then does nothing."""
        return self._ended(await self._client.complete_job(self.job_id, JOB_COMPLETED, metadata=metadata))

    async def fail(self, error_message: str, *, metadata: Optional[Mapping[str, Any]] = None) -> Job:
        """Fails the job now (free), without raising."""
        return self._ended(await self._client.complete_job(self.job_id, JOB_FAILED, metadata=metadata, error_message=error_message))

    async def cancel(self, *, metadata: Optional[Mapping[str, Any]] = None) -> Job:
        """Cancels the job now (free)."""
        return self._ended(await self._client.complete_job(self.job_id, JOB_CANCELLED, metadata=metadata))


class JobSession(_SessionState):
    """An open job inside ``with client.job(…) as job:``; its calls need no
    ``job_id``."""

    def __init__(self, client: Gatehouse, create: Op[Job]) -> None:
        super().__init__(create)
        self._client = client

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

    def chat(self, model: str, messages: Messages, **params: Any) -> ChatResponse:
        """Calls a model alias inside this job."""
        return self._client.chat(self.job_id, model, messages, **params)

    def chat_stream(self, model: str, messages: Messages, **params: Any) -> ChatStream:
        """Calls a model alias inside this job, streamed."""
        return self._client.chat_stream(self.job_id, model, messages, **params)

    def structured(self, model: str, messages: Messages, schema: Any, **params: Any) -> Any:
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
        return self._ended(self._client.complete_job(self.job_id, JOB_COMPLETED, metadata=metadata))

    def fail(self, error_message: str, *, metadata: Optional[Mapping[str, Any]] = None) -> Job:
        """Fails the job now (free), without raising."""
        return self._ended(self._client.complete_job(self.job_id, JOB_FAILED, metadata=metadata, error_message=error_message))

    def cancel(self, *, metadata: Optional[Mapping[str, Any]] = None) -> Job:
        """Cancels the job now (free)."""
        return self._ended(self._client.complete_job(self.job_id, JOB_CANCELLED, metadata=metadata))
