"""Typed results of the Gatehouse job API.

Every result is a dataclass whose attributes carry the server's JSON field
names (``job_id``, ``credits_remaining``), so the README's curl examples and
this client read the same. Money is :class:`decimal.Decimal`, decoded
exactly from the server's decimal numbers (Gatehouse keeps integer
micro-units and never rounds through a float); times are timezone-aware
:class:`datetime.datetime`. Each result keeps the whole decoded answer in
``raw``, so a field a newer server adds is reachable before this client
models it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
import typing
from typing import Any, ClassVar, Dict, Generic, List, Optional, Type, TypedDict, TypeVar, Union, get_type_hints

__all__ = [
    "Message",
    "user",
    "system",
    "assistant",
    "tool_result",
    "Usage",
    "FunctionCall",
    "ToolCall",
    "Job",
    "ChatResponse",
    "CallRecord",
    "JobCosts",
    "AutoRefill",
    "Balance",
    "Transaction",
    "Page",
    "UsageTotals",
    "UsageGroup",
    "TeamUsage",
    "TextDelta",
    "ToolCallDelta",
    "StreamDone",
    "StreamEvent",
    "JOB_PENDING",
    "JOB_IN_PROGRESS",
    "JOB_COMPLETED",
    "JOB_FAILED",
    "JOB_CANCELLED",
]

#: Job statuses: pending → in_progress (first call) → completed | failed |
#: cancelled; a job never leaves a final status.
JOB_PENDING = "pending"
JOB_IN_PROGRESS = "in_progress"
JOB_COMPLETED = "completed"
JOB_FAILED = "failed"
JOB_CANCELLED = "cancelled"


class Message(TypedDict, total=False):
    """One conversation turn in OpenAI's shape, which Gatehouse translates
    for every provider. ``content`` is text, or a list of parts
    (``{"type": "text", "text": …}``, ``{"type": "image_url", "image_url":
    {"url": …}}``)."""

    role: str
    content: Union[str, List[Dict[str, Any]], None]
    name: str
    tool_calls: List[Dict[str, Any]]
    tool_call_id: str


def user(text: str) -> Message:
    """A user turn with text, the usual way to ask."""
    return {"role": "user", "content": text}


def system(text: str) -> Message:
    """A system turn, for instructions the model should follow."""
    return {"role": "system", "content": text}


def assistant(text: str) -> Message:
    """An earlier answer of the model, for replaying a conversation."""
    return {"role": "assistant", "content": text}


def tool_result(tool_call_id: str, content: Any) -> Message:
    """Answers the tool call ``tool_call_id`` with its result (text, or
    anything JSON-encodable), so the model can continue after a tool call."""
    text = content if isinstance(content, str) else json.dumps(content)
    return {"role": "tool", "tool_call_id": tool_call_id, "content": text}


# ---------------------------------------------------------------------------
# Decoding


_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$")


def parse_time(value: Any) -> Optional[datetime]:
    """Reads an RFC 3339 time as Go writes it (up to nine decimals, ``Z``),
    which ``datetime.fromisoformat`` cannot before Python 3.11."""
    if not isinstance(value, str) or not value:
        return None
    m = _TIME.match(value)
    if not m:
        return None
    date, clock, frac, zone = m.groups()
    micros = int((frac or "0")[:6].ljust(6, "0"))
    t = datetime.strptime(f"{date}T{clock}", "%Y-%m-%dT%H:%M:%S").replace(microsecond=micros)
    if zone in (None, "Z"):
        return t.replace(tzinfo=timezone.utc)
    sign = 1 if zone[0] == "+" else -1
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    return t.replace(tzinfo=timezone(sign * timedelta(hours=hours, minutes=minutes)))


def to_decimal(value: Any) -> Decimal:
    """Reads an amount exactly: a number the JSON decoder kept as Decimal or
    int, or a decimal string. Anything else is zero."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or value is None:
        return Decimal(0)
    if isinstance(value, (int, str)):
        try:
            return Decimal(value)
        except InvalidOperation:
            return Decimal(0)
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(0)


def plain(value: Any) -> Any:
    """Turns the Decimals of free-form data (metadata) back into floats, so
    callers' own values come back as the types they sent."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


_hints: Dict[type, Dict[str, Any]] = {}

T = TypeVar("T")


def decode(cls: Type[T], data: Any) -> T:
    """Builds dataclass ``cls`` from a decoded JSON object, converting each
    field by its annotation. Missing fields keep their defaults; unknown
    ones stay in ``raw``."""
    if not isinstance(data, dict):
        data = {}
    hints = _hints.get(cls)
    if hints is None:
        hints = _hints[cls] = get_type_hints(cls)
    kwargs: Dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name == "raw":
            kwargs["raw"] = data
        elif f.name in data:
            kwargs[f.name] = _convert(hints[f.name], data[f.name])
    return cls(**kwargs)


def _convert(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Union:
        if value is None:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value) if len(inner) == 1 else value
    if hint is Decimal:
        return to_decimal(value)
    if hint is datetime:
        return parse_time(value)
    if hint is int:
        return int(value) if isinstance(value, (int, Decimal)) and not isinstance(value, bool) else 0
    if hint is str:
        return value if isinstance(value, str) else ("" if value is None else str(value))
    if hint is bool:
        return bool(value)
    if origin in (list, List):
        if not isinstance(value, list):
            return []
        return [_convert(args[0], v) for v in value] if args else list(value)
    if origin in (dict, Dict):
        return plain(value) if isinstance(value, dict) else {}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return decode(hint, value)
    return plain(value)


# ---------------------------------------------------------------------------
# Results


@dataclass
class Usage:
    """The tokens a call used, in OpenAI's terms. ``source`` is
    ``"provider"``, or ``"estimated"`` when a stream was cut before the
    provider reported usage."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    source: str = ""


@dataclass
class FunctionCall:
    """The function a tool call names, with its arguments as JSON text."""

    name: str = ""
    arguments: str = ""


@dataclass
class ToolCall:
    """The model's request to call a function."""

    id: str = ""
    type: str = "function"
    function: FunctionCall = field(default_factory=FunctionCall)

    def parsed_arguments(self) -> Any:
        """The call's arguments decoded from JSON (``{}`` when empty)."""
        return json.loads(self.function.arguments or "{}")

    def to_dict(self) -> Dict[str, Any]:
        """The call in OpenAI's shape, for an assistant turn."""
        return {"id": self.id, "type": self.type, "function": {"name": self.function.name, "arguments": self.function.arguments}}


@dataclass
class Job:
    """One business operation grouping LLM calls; the team pays for it by
    its budget mode (``job_based``: one credit when it completes).

    ``credits_reserved`` is held for the job (job_based) or its calls in
    flight; ``credits_accrued`` is what its finished calls will cost;
    ``credits_charged`` was deducted at completion; ``credits_uncollected``
    is cost the balance could not cover; ``credits_refunded`` was given
    back."""

    job_id: str = ""
    team_id: str = ""
    organization_id: str = ""
    job_type: str = ""
    user_id: str = ""
    status: str = ""
    metadata: Dict[str, Any] = field(default_factory=dict)
    error_message: str = ""
    budget_mode: str = ""
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    completed_at: Optional[datetime] = None
    credits_reserved: Decimal = Decimal(0)
    credits_accrued: Decimal = Decimal(0)
    credits_charged: Decimal = Decimal(0)
    credits_uncollected: Decimal = Decimal(0)
    credits_refunded: Decimal = Decimal(0)
    call_count: int = 0
    failed_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def final(self) -> bool:
        """Whether the job has ended; an ended job accepts no call."""
        return self.status in (JOB_COMPLETED, JOB_FAILED, JOB_CANCELLED)


@dataclass
class ChatResponse:
    """A call's answer with what it used and cost.

    ``cost_usd`` is the client cost of the call (markup included);
    ``credits_charged`` is what it cost in credits (consumption modes), or
    for :meth:`~gatehouse.AsyncGatehouse.ask` what the one-call job was
    charged; ``credits_remaining`` is the team's spendable balance right
    after it was settled; ``job`` is the ended one-call job, set by ``ask``
    only."""

    call_id: str = ""
    job_id: str = ""
    model: str = ""
    content: str = ""
    tool_calls: List[ToolCall] = field(default_factory=list)
    finish_reason: str = ""
    usage: Usage = field(default_factory=Usage)
    latency_ms: int = 0
    cost_usd: Decimal = Decimal(0)
    credits_charged: Decimal = Decimal(0)
    credits_remaining: Decimal = Decimal(0)
    job: Optional[Job] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def message(self) -> Message:
        """The answer as an assistant turn, to append to the conversation
        for the next call (after a tool call, say)."""
        m: Message = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            m["tool_calls"] = [tc.to_dict() for tc in self.tool_calls]
        return m


@dataclass
class CallRecord:
    """One recorded LLM call of a job. ``model`` is the alias asked for,
    ``served_by`` the alias that answered (after fallbacks); ``status`` is
    ``"success"`` or ``"error"`` (``error`` says why: a provider failure, or
    a client that left a stream part way); ``usage_source`` is
    ``"estimated"`` for a stream cut before the provider's report."""

    call_id: str = ""
    job_id: str = ""
    team_id: str = ""
    model: str = ""
    served_by: str = ""
    provider: str = ""
    provider_model: str = ""
    purpose: str = ""
    call_metadata: Dict[str, Any] = field(default_factory=dict)
    status: str = ""
    error: str = ""
    stream: bool = False
    finish_reason: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    total_tokens: int = 0
    usage_source: str = ""
    latency_ms: int = 0
    first_token_ms: int = 0
    attempts: int = 0
    cost_usd: Decimal = Decimal(0)
    client_cost_usd: Decimal = Decimal(0)
    credits_charged: Decimal = Decimal(0)
    created_at: Optional[datetime] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class JobCosts(Job):
    """A job with what it cost and every call it made, for showing a
    customer where their credits went. ``cost_usd`` is the provider cost of
    its calls, ``client_cost_usd`` adds the team's markup."""

    cost_usd: Decimal = Decimal(0)
    client_cost_usd: Decimal = Decimal(0)
    calls: List[CallRecord] = field(default_factory=list)


@dataclass
class AutoRefill:
    """A team's scheduled top-up."""

    enabled: bool = False
    refill_amount: Decimal = Decimal(0)
    refill_period: str = ""
    last_refill_at: Optional[datetime] = None


@dataclass
class Balance:
    """A team's credits and how it pays. ``credits_remaining`` is
    ``credits_balance`` minus ``credits_held``: what new jobs and calls may
    still use. ``cost_markup_percentage`` is a percentage (12.5)."""

    team_id: str = ""
    organization_id: str = ""
    status: str = ""
    budget_mode: str = ""
    credits_allocated: Decimal = Decimal(0)
    credits_balance: Decimal = Decimal(0)
    credits_held: Decimal = Decimal(0)
    credits_remaining: Decimal = Decimal(0)
    credits_per_dollar: Decimal = Decimal(0)
    tokens_per_credit: int = 0
    cost_markup_percentage: Decimal = Decimal(0)
    auto_refill: AutoRefill = field(default_factory=AutoRefill)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class Transaction:
    """One immutable row of a team's credit ledger: an allocation, payment,
    refill, hold, release, deduction, refund or adjustment, with the
    balance and held credits before and after."""

    transaction_id: str = ""
    team_id: str = ""
    job_id: str = ""
    transaction_type: str = ""
    credits_amount: Decimal = Decimal(0)
    credits_held_change: Decimal = Decimal(0)
    balance_before: Decimal = Decimal(0)
    balance_after: Decimal = Decimal(0)
    held_before: Decimal = Decimal(0)
    held_after: Decimal = Decimal(0)
    reason: str = ""
    actor: str = ""
    created_at: Optional[datetime] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class Page(Generic[T]):
    """One page of a list the server paginates: ``items``, and the
    ``total`` the whole list holds, for asking for the next ``offset``."""

    items: List[T] = field(default_factory=list)
    total: int = 0
    limit: int = 0
    offset: int = 0

    @property
    def has_more(self) -> bool:
        """Whether items remain after this page."""
        return self.offset + len(self.items) < self.total


@dataclass
class UsageTotals:
    """Calls, tokens and money over a period."""

    calls: int = 0
    failed_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    credits_charged: Decimal = Decimal(0)
    cost_usd: Decimal = Decimal(0)
    client_cost_usd: Decimal = Decimal(0)


@dataclass
class UsageGroup(UsageTotals):
    """The usage of one job type, model alias or day (``key``)."""

    key: str = ""
    jobs: int = 0


@dataclass
class TeamUsage:
    """A team's usage over ``since`` … ``until``: totals, and by job type,
    by model alias and by day."""

    team_id: str = ""
    since: Optional[datetime] = None
    until: Optional[datetime] = None
    jobs: int = 0
    jobs_completed: int = 0
    jobs_failed: int = 0
    jobs_cancelled: int = 0
    totals: UsageTotals = field(default_factory=UsageTotals)
    by_job_type: List[UsageGroup] = field(default_factory=list)
    by_model: List[UsageGroup] = field(default_factory=list)
    by_day: List[UsageGroup] = field(default_factory=list)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


# ---------------------------------------------------------------------------
# Stream events


@dataclass(frozen=True)
class TextDelta:
    """The next piece of the answer's text."""

    type: ClassVar[str] = "delta"
    content: str = ""


@dataclass(frozen=True)
class ToolCallDelta:
    """A piece of a streamed tool call, keyed by ``index``: the first piece
    of an index carries ``id`` and ``name``, later ones append to
    ``arguments``. The whole calls arrive assembled in
    :attr:`StreamDone.tool_calls`."""

    type: ClassVar[str] = "tool_call"
    index: int = 0
    id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass(frozen=True)
class StreamDone:
    """The last event of a stream, sent once the call is recorded: what it
    used and cost, and the team's credits right after. ``content`` and
    ``tool_calls`` are the whole answer, assembled by the client from the
    deltas; ``job`` is the ended one-call job of ``ask_stream``."""

    type: ClassVar[str] = "done"
    call_id: str = ""
    job_id: str = ""
    model: str = ""
    finish_reason: str = ""
    usage: Usage = field(default_factory=Usage)
    latency_ms: int = 0
    first_token_ms: int = 0
    cost_usd: Decimal = Decimal(0)
    credits_charged: Decimal = Decimal(0)
    credits_remaining: Decimal = Decimal(0)
    job: Optional[Job] = None
    content: str = ""
    tool_calls: List[ToolCall] = field(default_factory=list)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


#: One event of :meth:`~gatehouse.AsyncGatehouse.chat_stream`; branch on
#: ``isinstance`` or on ``event.type`` (``"delta"``, ``"tool_call"``,
#: ``"done"``).
StreamEvent = Union[TextDelta, ToolCallDelta, StreamDone]
