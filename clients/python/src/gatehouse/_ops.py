"""The job API's requests and how their answers are read, written once for
both clients: each function returns an :class:`Op`, a request plus the
function that turns its decoded answer into a typed result. The clients
only send it (blocking or awaiting) and apply ``parse``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Callable, Dict, Generic, Iterable, List, Mapping, Optional, TypeVar, Union, cast
from urllib.parse import quote

from . import _schema
from ._transport import Request, query
from .types import (
    Balance,
    ChatResponse,
    Job,
    JobCosts,
    Message,
    Page,
    TeamUsage,
    Transaction,
    decode,
    user,
)

T = TypeVar("T")

#: Messages as the methods take them: a list of turns, or one user text.
Messages = Union[str, Iterable[Message]]
#: A time filter: a date, an aware datetime (a naive one is taken as UTC)
#: or a string the server reads (RFC 3339 or YYYY-MM-DD).
TimeArg = Union[date, datetime, str, None]

#: Body keys the call methods set themselves; passing them as extra
#: parameters would silently change what the method does.
_RESERVED = {"stream", "stream_options", "job_type", "user_id", "job_metadata", "team_id"}


@dataclass
class Op(Generic[T]):
    """A request and how to read its answer."""

    req: Request
    parse: Callable[[Any], T]


def _path_id(name: str, value: str) -> str:
    if not isinstance(value, str) or not value:
        # An empty ID could only reach another route or a 404.
        raise ValueError(f"{name} is empty")
    return quote(value, safe="")


def _compact(d: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _time(value: TimeArg) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat()
    return value.isoformat()


def new_idempotency_key() -> str:
    """A random key no other create will use."""
    return "ghc-" + secrets.token_urlsafe(18)


def messages_list(messages: Messages) -> List[Message]:
    """The messages as a list (copied); one string is one user turn."""
    if isinstance(messages, str):
        return [user(messages)]
    return [cast(Message, dict(m)) for m in messages]


def call_body(model: str, messages: Messages, params: Mapping[str, Any]) -> Dict[str, Any]:
    """The body of an LLM call: OpenAI-style fields (``model`` is the
    alias), Gatehouse's ``purpose`` and ``call_metadata``, and any other
    field, which Gatehouse forwards to OpenAI-compatible providers."""
    if not model:
        raise ValueError("model is empty: name the alias to call")
    bad = sorted(set(params) & _RESERVED)
    if bad:
        raise TypeError(f"unexpected parameter(s) {', '.join(bad)}: use the streaming or job methods instead")
    body: Dict[str, Any] = {"model": model, "messages": messages_list(messages)}
    body.update(_compact(params))
    return body


def _job(data: Any) -> Job:
    return decode(Job, data)


def _page(key: str, cls: type) -> Callable[[Any], Page[Any]]:
    def parse(data: Any) -> Page[Any]:
        data = data if isinstance(data, dict) else {}
        return Page(
            items=[decode(cls, item) for item in data.get(key) or []],
            total=int(data.get("total") or 0),
            limit=int(data.get("limit") or 0),
            offset=int(data.get("offset") or 0),
        )

    return parse


def create_job(
    job_type: Optional[str],
    user_id: Optional[str],
    metadata: Optional[Mapping[str, Any]],
    idempotency_key: Optional[str],
    generate_key: bool,
) -> Op[Job]:
    """POST /api/jobs/create. It goes with an Idempotency-Key (the
    caller's, or a generated one when retries are on), which is what makes
    it safe to retry: a repeat returns the first job instead of opening
    (and holding credit for) another."""
    key = idempotency_key or (new_idempotency_key() if generate_key else None)
    body = _compact({"job_type": job_type, "user_id": user_id, "metadata": dict(metadata) if metadata is not None else None})
    req = Request("POST", "/api/jobs/create", body=body, idempotent=key is not None)
    if key:
        req.headers = {"Idempotency-Key": key}
    return Op(req, _job)


def get_job(job_id: str) -> Op[Job]:
    """GET /api/jobs/{id}."""
    return Op(Request("GET", f"/api/jobs/{_path_id('job_id', job_id)}", idempotent=True), _job)


def update_metadata(job_id: str, metadata: Mapping[str, Any]) -> Op[Job]:
    """PATCH /api/jobs/{id}/metadata: merging the same keys again changes
    nothing, so it is retried."""
    path = f"/api/jobs/{_path_id('job_id', job_id)}/metadata"
    return Op(Request("PATCH", path, body={"metadata": dict(metadata)}, idempotent=True), _job)


def complete_job(job_id: str, status: str, metadata: Optional[Mapping[str, Any]], error_message: Optional[str]) -> Op[Job]:
    """POST /api/jobs/{id}/complete: completing an ended job returns its
    first result and never charges twice, so it is retried."""
    body = _compact({"status": status, "metadata": dict(metadata) if metadata is not None else None, "error_message": error_message})
    path = f"/api/jobs/{_path_id('job_id', job_id)}/complete"
    return Op(Request("POST", path, body=body, idempotent=True), _job)


def job_costs(job_id: str) -> Op[JobCosts]:
    """GET /api/jobs/{id}/costs."""
    path = f"/api/jobs/{_path_id('job_id', job_id)}/costs"
    return Op(Request("GET", path, idempotent=True), lambda d: decode(JobCosts, d))


def list_jobs(
    team_id: str,
    status: Optional[str],
    job_type: Optional[str],
    since: TimeArg,
    until: TimeArg,
    limit: Optional[int],
    offset: Optional[int],
) -> Op[Page[Job]]:
    """GET /api/teams/{team_id}/jobs."""
    params = query({"status": status, "job_type": job_type, "since": _time(since), "until": _time(until), "limit": limit, "offset": offset})
    path = f"/api/teams/{_path_id('team_id', team_id)}/jobs"
    return Op(Request("GET", path, params=params, idempotent=True), _page("jobs", Job))


def chat(job_id: str, model: str, messages: Messages, params: Mapping[str, Any], stream: bool = False) -> Op[ChatResponse]:
    """POST /api/jobs/{id}/llm-call (or …-stream). A call runs a model and
    may cost money, so it is not idempotent."""
    suffix = "llm-call-stream" if stream else "llm-call"
    path = f"/api/jobs/{_path_id('job_id', job_id)}/{suffix}"
    req = Request("POST", path, body=call_body(model, messages, params), stream=stream)
    return Op(req, lambda d: decode(ChatResponse, d))


def ask(
    model: str,
    messages: Messages,
    job_type: Optional[str],
    user_id: Optional[str],
    metadata: Optional[Mapping[str, Any]],
    idempotency_key: Optional[str],
    params: Mapping[str, Any],
    stream: bool = False,
) -> Op[ChatResponse]:
    """POST /api/jobs/create-and-call (or …-stream): a one-call job. With
    an idempotency key a repeat finds the first job already ended and fails
    with a 409 instead of calling and charging again; none is generated,
    since a repeat would then be a second paid call."""
    body = call_body(model, messages, params)
    body.update(_compact({"job_type": job_type, "user_id": user_id, "job_metadata": dict(metadata) if metadata is not None else None}))
    path = "/api/jobs/create-and-call-stream" if stream else "/api/jobs/create-and-call"
    req = Request("POST", path, body=body, stream=stream)
    if idempotency_key:
        req.headers = {"Idempotency-Key": idempotency_key}
    return Op(req, lambda d: decode(ChatResponse, d))


def structured(
    job_id: str,
    model: str,
    messages: Messages,
    schema: Any,
    name: Optional[str],
    strict: Optional[bool],
    params: Mapping[str, Any],
) -> Op[Any]:
    """A call whose answer must match ``schema`` (a JSON schema dict, or a
    Pydantic model class), decoded into a dict or a model instance."""
    shape = _schema.Shape.of(schema, name=name, strict=strict)
    if "response_format" in params:
        raise TypeError("structured() sets response_format itself")
    op = chat(job_id, model, messages, {**params, "response_format": shape.response_format})

    def parse(data: Any) -> Any:
        return shape.decode(op.parse(data))

    return Op(op.req, parse)


def balance(team_id: str) -> Op[Balance]:
    """GET /api/credits/teams/{team_id}/balance."""
    path = f"/api/credits/teams/{_path_id('team_id', team_id)}/balance"
    return Op(Request("GET", path, idempotent=True), lambda d: decode(Balance, d))


def transactions(team_id: str, limit: Optional[int], offset: Optional[int]) -> Op[Page[Transaction]]:
    """GET /api/credits/teams/{team_id}/transactions, newest first."""
    path = f"/api/credits/teams/{_path_id('team_id', team_id)}/transactions"
    return Op(Request("GET", path, params=query({"limit": limit, "offset": offset}), idempotent=True), _page("transactions", Transaction))


def usage(team_id: str, period: Optional[str], since: TimeArg, until: TimeArg) -> Op[TeamUsage]:
    """GET /api/teams/{team_id}/usage for a month (``period="2026-12"``,
    default this month) or a range."""
    if period is not None and (since is not None or until is not None):
        raise TypeError("give either period or since/until, not both")
    path = f"/api/teams/{_path_id('team_id', team_id)}/usage"
    params = query({"period": period, "since": _time(since), "until": _time(until)})
    return Op(Request("GET", path, params=params, idempotent=True), lambda d: decode(TeamUsage, d))
