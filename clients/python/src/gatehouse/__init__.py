"""Gatehouse's Python client: jobs, model-alias calls (whole or streamed),
structured output, credits and usage, over ``httpx``.

::

    from gatehouse import AsyncGatehouse

    async with AsyncGatehouse(base_url="http://localhost:8003", api_key="gh-sk-…") as client:
        job = await client.create_job("summarize")
        response = await client.chat(job_id=job.job_id, model="gpt-4", messages=[{"role": "user", "content": "Hi"}])
        await client.complete_job(job.job_id)

:class:`Gatehouse` is the same client without ``await``; ``gatehouse.admin``
is the management API for operators' scripts.
"""

from ._client import AsyncGatehouse, AsyncJobSession, Gatehouse, JobSession
from ._stream import AsyncChatStream, ChatStream
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    Conflict,
    Forbidden,
    GatehouseError,
    InsufficientCredits,
    InternalError,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    ProviderError,
    RateLimited,
    StreamCut,
    StructuredOutputError,
    Unauthorized,
    Unavailable,
)
from .types import (
    JOB_CANCELLED,
    JOB_COMPLETED,
    JOB_FAILED,
    JOB_IN_PROGRESS,
    JOB_PENDING,
    AutoRefill,
    Balance,
    CallRecord,
    ChatResponse,
    FunctionCall,
    Job,
    JobCosts,
    Message,
    Page,
    StreamDone,
    StreamEvent,
    TeamUsage,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Transaction,
    Usage,
    UsageGroup,
    UsageTotals,
    assistant,
    system,
    tool_result,
    user,
)

__all__ = [
    "__version__",
    "AsyncGatehouse",
    "Gatehouse",
    "AsyncJobSession",
    "JobSession",
    "AsyncChatStream",
    "ChatStream",
    "GatehouseError",
    "APIError",
    "InvalidRequest",
    "Unauthorized",
    "InsufficientCredits",
    "Forbidden",
    "NotFound",
    "MethodNotAllowed",
    "Conflict",
    "RateLimited",
    "InternalError",
    "ProviderError",
    "Unavailable",
    "APIConnectionError",
    "APITimeoutError",
    "StreamCut",
    "StructuredOutputError",
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
