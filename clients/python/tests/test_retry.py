"""The retry rule and the error mapping, against a scripted Gatehouse over
loopback HTTP (fakegatehouse), on both clients: what a healthy server will
not do on demand — a 500, a proxy's HTML page, a dropped connection, a
stream cut part way or failing mid-way — and exactly how often each request
is sent.

The rule (the Go client's): reads, completion, metadata merges and
creation under an Idempotency-Key are retried on network errors, 429 and
5xx; calls only on 429, 503, or when the request never left.
"""

from __future__ import annotations

import socket
from typing import Any, Iterator, List, Tuple

import httpx
import pytest

from gatehouse import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncGatehouse,
    Conflict,
    Forbidden,
    Gatehouse,
    InsufficientCredits,
    InternalError,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    ProviderError,
    RateLimited,
    StreamCut,
    StreamDone,
    TextDelta,
    Unauthorized,
    Unavailable,
)

from .conftest import call, collect
from .fakegatehouse import CALL, JOB, FakeGatehouse, Reply, error, sse


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGatehouse]:
    f = FakeGatehouse()
    yield f
    f.close()


class Recorder:
    """Replaces the client's sleep, to see the waits without waiting."""

    def __init__(self, kind: str) -> None:
        self.waits: List[float] = []
        self.kind = kind

    def __call__(self, seconds: float) -> Any:
        self.waits.append(seconds)
        if self.kind == "async":

            async def done() -> None:
                return None

            return done()
        return None


@pytest.fixture(params=["async", "sync"])
async def client(request: pytest.FixtureRequest, fake: FakeGatehouse) -> Any:
    kind = request.param
    cls = AsyncGatehouse if kind == "async" else Gatehouse
    c = cls(base_url=fake.base_url, api_key="gh-sk-test", team_id="t", max_retries=2)
    rec = Recorder(kind)
    c._transport.sleep = rec
    yield c, rec
    await call(c, "aclose" if kind == "async" else "close")


RETRY_TABLE = [
    # (what, method and args, replies, requests sent, outcome)
    ("a call is retried after 429", ("chat", "j1", "echo", "hi"), [error(429, "rate_limited"), Reply(body=CALL)], 2, None),
    ("a call is retried after 503", ("chat", "j1", "echo", "hi"), [error(503, "unavailable"), Reply(body=CALL)], 2, None),
    ("a call is not retried after 500", ("chat", "j1", "echo", "hi"), [error(500, "internal_error")], 1, InternalError),
    ("a call is not retried after 502", ("chat", "j1", "echo", "hi"), [error(502, "provider_error")], 1, ProviderError),
    ("a call is not retried after a dropped connection", ("chat", "j1", "echo", "hi"), [Reply(drop=True)], 1, APIConnectionError),
    ("a call gives up after max_retries", ("chat", "j1", "echo", "hi"), [error(503, "unavailable")] * 3, 3, Unavailable),
    ("a one-call job is not retried after 502", ("ask", "echo", "hi"), [error(502, "provider_error")], 1, ProviderError),
    ("a read is retried after 500 and 502", ("get_job", "j1"), [error(500, "internal_error"), error(502, "provider_error"), Reply(body=JOB)], 3, None),
    ("a read is retried after a dropped connection", ("get_job", "j1"), [Reply(drop=True), Reply(body=JOB)], 2, None),
    ("completing is retried after 500", ("complete_job", "j1"), [error(500, "internal_error"), Reply(body=JOB)], 2, None),
    ("creating a job is retried after 500", ("create_job", "x"), [error(500, "internal_error"), Reply(body=JOB)], 2, None),
    ("nothing is retried after 400", ("get_job", "j1"), [error(400, "invalid_request")], 1, InvalidRequest),
    ("nothing is retried after 409", ("complete_job", "j1"), [error(409, "conflict")], 1, Conflict),
]


@pytest.mark.parametrize("what,invocation,replies,sent,outcome", RETRY_TABLE, ids=[r[0] for r in RETRY_TABLE])
async def test_retry_rule(fake: FakeGatehouse, client: Tuple[Any, Recorder], what: str, invocation: tuple, replies: list, sent: int, outcome: Any) -> None:
    c, rec = client
    fake.script(*replies)
    if outcome is None:
        await call(c, *invocation)
    else:
        with pytest.raises(outcome):
            await call(c, *invocation)
    assert len(fake.requests) == sent, what
    assert len(rec.waits) == sent - 1
    # Backoff with jitter: the n-th wait lies between half and all of 0.25·2ⁿ⁻¹.
    for n, w in enumerate(rec.waits, 1):
        assert 0.125 * 2 ** (n - 1) <= w <= 0.25 * 2 ** (n - 1)


async def test_retries_reuse_one_idempotency_key(fake: FakeGatehouse, client: Tuple[Any, Recorder]) -> None:
    c, _ = client
    fake.script(error(503, "unavailable"), Reply(drop=True), Reply(body=JOB))
    await call(c, "create_job", "x")
    keys = {r[2].get("Idempotency-Key") for r in fake.requests}
    assert len(fake.requests) == 3 and len(keys) == 1 and None not in keys


async def test_retry_after_is_honoured(fake: FakeGatehouse, client: Tuple[Any, Recorder]) -> None:
    c, rec = client
    fake.script(error(429, "rate_limited", retry_after="7"), Reply(body=CALL))
    await call(c, "chat", "j1", "echo", "hi")
    assert rec.waits == [7.0]


async def test_a_long_retry_after_is_not_sat_out(fake: FakeGatehouse, client: Tuple[Any, Recorder]) -> None:
    c, rec = client
    fake.script(error(429, "rate_limited", retry_after="120"), Reply(body=CALL))
    with pytest.raises(RateLimited) as exc:
        await call(c, "chat", "j1", "echo", "hi")
    assert exc.value.retry_after == 120 and rec.waits == [] and len(fake.requests) == 1


async def test_a_request_that_never_left_is_retried(client: Tuple[Any, Recorder]) -> None:
    c, rec = client
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c._transport.base_url = f"http://127.0.0.1:{port}"
    with pytest.raises(APIConnectionError) as exc:
        await call(c, "chat", "j1", "echo", "hi")
    assert exc.value.sent is False and len(rec.waits) == 2


async def test_timeouts(fake: FakeGatehouse, client: Tuple[Any, Recorder]) -> None:
    c, rec = client
    c._transport.http.timeout = httpx.Timeout(0.3)
    # A read that timed out is repeated ...
    fake.script(Reply(delay=1.5, body=JOB), Reply(body=JOB))
    assert (await call(c, "get_job", "j1")).job_id == "j1"
    assert len(fake.requests) == 2
    # ... a call is not: it may be running.
    fake.script(Reply(delay=1.5, body=CALL))
    with pytest.raises(APITimeoutError) as exc:
        await call(c, "chat", "j1", "echo", "hi")
    assert exc.value.sent is True and len(fake.requests) == 1


ERROR_TABLE = [
    (400, "invalid_request", InvalidRequest),
    (401, "unauthorized", Unauthorized),
    (402, "insufficient_credits", InsufficientCredits),
    (403, "forbidden", Forbidden),
    (404, "not_found", NotFound),
    (405, "method_not_allowed", MethodNotAllowed),
    (409, "conflict", Conflict),
    (429, "rate_limited", RateLimited),
    (500, "internal_error", InternalError),
    (502, "provider_error", ProviderError),
    (503, "unavailable", Unavailable),
]


@pytest.mark.parametrize("status,code,cls", ERROR_TABLE, ids=[r[1] for r in ERROR_TABLE])
async def test_every_code_maps_to_its_class(fake: FakeGatehouse, status: int, code: str, cls: type) -> None:
    async with AsyncGatehouse(base_url=fake.base_url, api_key="k", max_retries=0) as c:
        fake.script(error(status, code, "why", field_name="model"))
        with pytest.raises(cls) as exc:
            await c.chat("j1", "echo", "hi")
    assert (exc.value.status, exc.value.code, exc.value.message, exc.value.field) == (status, code, "why", "model")


async def test_an_unknown_code_keeps_its_status_class(fake: FakeGatehouse) -> None:
    with Gatehouse(base_url=fake.base_url, api_key="k", max_retries=0) as c:
        fake.script(error(403, "quota_frozen", "a newer server's code"))
        with pytest.raises(Forbidden) as exc:
            c.get_job("j1")
        assert exc.value.code == "quota_frozen"
        fake.script(error(418, "teapot"))
        with pytest.raises(APIError) as generic:
            c.get_job("j1")
        assert type(generic.value) is APIError and generic.value.status == 418


async def test_a_proxy_page_becomes_an_error_by_status(fake: FakeGatehouse) -> None:
    with Gatehouse(base_url=fake.base_url, api_key="k", max_retries=0) as c:
        fake.script(Reply(status=502, body=b"<html><body>Bad Gateway</body></html>", headers={"Content-Type": "text/html"}))
        with pytest.raises(ProviderError) as exc:
            c.get_job("j1")
    assert exc.value.code == "provider_error" and "Bad Gateway" in exc.value.message


async def drain(stream: Any, seen: List[Any]) -> None:
    """Reads a sync or async stream into ``seen``, letting its error out."""
    if hasattr(stream, "__aiter__"):
        async for ev in stream:
            seen.append(ev)
    else:
        for ev in stream:
            seen.append(ev)


DONE = {"type": "done", "call_id": "c1", "job_id": "j1", "model": "echo", "finish_reason": "stop", "usage": {"completion_tokens": 2, "source": "provider"}, "cost_usd": 0.000125, "credits_remaining": 41.5}


async def test_stream_decodes_and_assembles(fake: FakeGatehouse, client: Tuple[Any, Recorder]) -> None:
    c, _ = client
    fake.script(sse({"type": "delta", "content": "Hel"}, ": a comment", {"type": "future-event"}, {"type": "delta", "content": "lo"}, {"type": "delta", "finish_reason": "stop"}, DONE, "[DONE]"))
    events = await collect(c.chat_stream("j1", "echo", "hi"))
    assert events[:2] == [TextDelta("Hel"), TextDelta("lo")]
    done = events[2]
    assert isinstance(done, StreamDone) and len(events) == 3
    assert done.content == "Hello" and str(done.cost_usd) == "0.000125" and str(done.credits_remaining) == "41.5"
    assert fake.requests[0][2]["Accept"] == "text/event-stream"


async def test_stream_cut_before_its_final_event(fake: FakeGatehouse, client: Tuple[Any, Recorder]) -> None:
    c, _ = client
    fake.script(sse({"type": "delta", "content": "partial "}, {"type": "delta", "content": "answ"}))
    seen: List[Any] = []
    with pytest.raises(StreamCut) as exc:
        await drain(c.chat_stream("j1", "echo", "hi"), seen)
    assert [e.content for e in seen] == ["partial ", "answ"] and exc.value.content == "partial answ"


async def test_stream_error_event_raises_after_the_stream(fake: FakeGatehouse, client: Tuple[Any, Recorder]) -> None:
    c, _ = client
    fake.script(
        sse(
            {"type": "delta", "content": "so far"},
            {"type": "error", "error": {"code": "provider_error", "message": "upstream reset"}},
            DONE,
            "[DONE]",
        )
    )
    seen: List[Any] = []
    with pytest.raises(ProviderError) as exc:
        await drain(c.chat_stream("j1", "echo", "hi"), seen)
    # The answer is never presented as complete: no done event, but the
    # error carries it, with the usage and cost of what was delivered.
    assert seen == [TextDelta("so far")]
    assert exc.value.status == 502 and exc.value.message == "upstream reset"
    assert exc.value.done is not None and exc.value.done.content == "so far" and exc.value.done.usage.completion_tokens == 2


async def test_a_stream_is_retried_only_before_it_starts(fake: FakeGatehouse, client: Tuple[Any, Recorder]) -> None:
    c, rec = client
    fake.script(error(503, "unavailable"), sse({"type": "delta", "content": "x"}))
    with pytest.raises(StreamCut):
        await collect(c.chat_stream("j1", "echo", "hi"))
    assert len(fake.requests) == 2 and len(rec.waits) == 1
