"""Errors raised by the Gatehouse client.

Every error Gatehouse answers has one shape, ``{"error": {"code", "message",
"field"}}``, and each code has one HTTP status (see the main README,
"Errors"). The client raises one exception class per code, so callers can
write ``except InsufficientCredits:`` instead of comparing strings:

============================  ======  ===========================
class                         status  code
============================  ======  ===========================
:class:`InvalidRequest`       400     ``invalid_request``
:class:`Unauthorized`         401     ``unauthorized``
:class:`InsufficientCredits`  402     ``insufficient_credits``
:class:`Forbidden`            403     ``forbidden``
:class:`NotFound`             404     ``not_found``
:class:`MethodNotAllowed`     405     ``method_not_allowed``
:class:`Conflict`             409     ``conflict``
:class:`RateLimited`          429     ``rate_limited``
:class:`InternalError`        500     ``internal_error``
:class:`ProviderError`        502     ``provider_error``
:class:`Unavailable`          503     ``unavailable``
============================  ======  ===========================

All of them derive from :class:`APIError`, which derives from
:class:`GatehouseError`, the base of everything this package raises.
"""

from __future__ import annotations

import email.utils
import json
import time
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Type

if TYPE_CHECKING:  # pragma: no cover
    from .types import StreamDone

__all__ = [
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
]


class GatehouseError(Exception):
    """The base of every error this package raises, so one ``except``
    clause can catch them all."""


class APIError(GatehouseError):
    """An error Gatehouse answered.

    Attributes:
        status: the HTTP status (for an error event inside a stream, the
            status its code stands for).
        code: the machine code (``"insufficient_credits"``); a code this
            version does not know is kept as sent.
        message: the human explanation, safe to show to an operator.
        field: the request field at fault, when one is.
        retry_after: seconds the server asked the caller to wait before
            trying again (429 and 503), ``None`` when it did not say.
    """

    #: The status and code this class stands for; APIError itself is used
    #: for codes this version of the client does not know.
    default_status: int = 0
    default_code: str = ""

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        code: Optional[str] = None,
        field: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status if status is not None else self.default_status
        self.code = code if code is not None else self.default_code
        self.field = field
        self.retry_after = retry_after
        #: For an error inside a stream: the final event the server sent
        #: after it (the call's usage and cost so far), when it sent one.
        self.done: Optional[StreamDone] = None

    def __str__(self) -> str:
        text = f"{self.status} {self.code}: {self.message}"
        if self.field:
            text += f" (field {self.field!r})"
        if self.retry_after:
            text += f" (retry after {self.retry_after:g}s)"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class InvalidRequest(APIError):
    """400: the request is malformed or a field is wrong (``field`` names
    it). Repeating it unchanged fails the same way."""

    default_status, default_code = 400, "invalid_request"


class Unauthorized(APIError):
    """401: the key is missing, unknown, revoked or expired."""

    default_status, default_code = 401, "unauthorized"


class InsufficientCredits(APIError):
    """402: the team cannot pay for this job or call. Retrying will not
    help until credits are added."""

    default_status, default_code = 402, "insufficient_credits"


class Forbidden(APIError):
    """403: the key is valid but may not do this: a model alias the team
    was not granted, another team's data, or a suspended or paused team."""

    default_status, default_code = 403, "forbidden"


class NotFound(APIError):
    """404: no such job for this team (another team's job is a 404 too),
    no such model alias, or no such resource."""

    default_status, default_code = 404, "not_found"


class MethodNotAllowed(APIError):
    """405: the route exists but not with this method."""

    default_status, default_code = 405, "method_not_allowed"


class Conflict(APIError):
    """409: the request clashes with current state, such as a call on a job
    that has already ended."""

    default_status, default_code = 409, "conflict"


class RateLimited(APIError):
    """429: Gatehouse or the provider is limiting the team. ``retry_after``
    says how many seconds to wait, when known. The client already retried
    it as far as it was allowed to (see the README, "Retries")."""

    default_status, default_code = 429, "rate_limited"


class InternalError(APIError):
    """500: Gatehouse failed unexpectedly; the details are in its logs."""

    default_status, default_code = 500, "internal_error"


class ProviderError(APIError):
    """502: the LLM provider failed (including a provider rejecting the
    operator's credential). The message is the provider's own, with keys
    scrubbed."""

    default_status, default_code = 502, "provider_error"


class Unavailable(APIError):
    """503: Gatehouse cannot serve the call right now: no credential for
    the alias's provider, or a dependency is down."""

    default_status, default_code = 503, "unavailable"


class APIConnectionError(GatehouseError):
    """The request could not be completed over the network: the
    connection failed or was lost. ``sent`` is ``False`` when the request
    certainly never fully left this process (so the server did nothing).
    """

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


class APITimeoutError(APIConnectionError):
    """The request timed out (see the client's ``timeout``)."""


class StreamCut(GatehouseError):
    """A stream ended before its final event: the connection was lost part
    way, so the answer is incomplete and must not be taken as whole.
    ``content`` holds the text received before the cut."""

    def __init__(self, message: str, *, content: str = "") -> None:
        super().__init__(message)
        self.content = content


class StructuredOutputError(GatehouseError, ValueError):
    """A structured answer that does not decode into the requested shape (a
    model that ignored the schema, or an answer cut short by max_tokens:
    ``finish_reason == "length"``). ``content`` is the raw answer, for
    logging or a retry with a corrective message; ``response`` is the
    call's :class:`~gatehouse.ChatResponse`, with its usage and cost."""

    def __init__(self, message: str, *, content: str, finish_reason: str, response: Any) -> None:
        super().__init__(message)
        self.content = content
        self.finish_reason = finish_reason
        self.response = response


#: Each known code's class.
_BY_CODE: Dict[str, Type[APIError]] = {
    cls.default_code: cls
    for cls in (
        InvalidRequest,
        Unauthorized,
        InsufficientCredits,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        Conflict,
        RateLimited,
        InternalError,
        ProviderError,
        Unavailable,
    )
}

#: Each known status's class, for error bodies that are not Gatehouse's
#: (a proxy's HTML page).
_BY_STATUS: Dict[int, Type[APIError]] = {cls.default_status: cls for cls in _BY_CODE.values()}


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Reads a Retry-After header: whole seconds or an HTTP date. ``None``
    when absent, unreadable or not in the future."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = int(value)
        return float(min(seconds, 86400)) if seconds > 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    delta = when.timestamp() - (time.time() if now is None else now)
    return delta if delta > 0 else None


def error_for(
    status: int,
    code: Optional[str],
    message: str,
    *,
    field: Optional[str] = None,
    retry_after: Optional[float] = None,
) -> APIError:
    """Builds the exception for an error answer: by its code when the
    client knows it, else by its status, else a plain :class:`APIError`."""
    cls = _BY_CODE.get(code or "") or _BY_STATUS.get(status)
    if cls is None:
        cls = InternalError if status >= 500 and not code else APIError
    return cls(message, status=status, code=code or cls.default_code or "error", field=field, retry_after=retry_after)


def error_from_response(status: int, headers: Mapping[str, str], body: bytes) -> APIError:
    """Decodes Gatehouse's error shape from a response. A body that is not
    that shape (a proxy's page) becomes the message, trimmed, and the class
    follows from the status."""
    retry_after = parse_retry_after(headers.get("retry-after"))
    try:
        data = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError):
        data = None
    detail = data.get("error") if isinstance(data, dict) else None
    if isinstance(detail, dict) and isinstance(detail.get("code"), str) and detail["code"]:
        field = detail.get("field")
        return error_for(
            status,
            detail["code"],
            str(detail.get("message") or ""),
            field=field if isinstance(field, str) and field else None,
            retry_after=retry_after,
        )
    text = body.decode("utf-8", "replace").strip()
    if len(text) > 300:
        text = text[:300] + "…"
    return error_for(status, None, text or f"HTTP {status}", retry_after=retry_after)


def error_from_event(detail: Any) -> APIError:
    """Builds the exception for an error event inside a stream, which has a
    code but no status of its own."""
    if not isinstance(detail, dict):
        detail = {}
    code = detail.get("code") if isinstance(detail.get("code"), str) and detail.get("code") else "internal_error"
    cls = _BY_CODE.get(code)
    status = cls.default_status if cls else 500
    field = detail.get("field")
    return error_for(status, code, str(detail.get("message") or "the stream failed"), field=field if isinstance(field, str) and field else None)
