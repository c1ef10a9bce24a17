"""Streamed calls against a real Gatehouse: typed events, tool calls, the
one-call job's stream, and cancellation — leaving the loop must close the
connection so that Gatehouse cancels the provider call and records it as
cut, with the usage delivered so far."""

from __future__ import annotations

import gc
import math
from decimal import Decimal
from typing import Iterator

import pytest

from gatehouse import AsyncGatehouse, Gatehouse, StreamDone, TextDelta, ToolCallDelta

from .conftest import Clients, Server, TeamInfo, call, collect, eventually

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}

#: A slow answer: the mock spreads the latency over its chunks (one per
#: word), so a chunk comes about every second and the whole answer would
#: take a minute. A call recorded as cut, with no more than the chunks that
#: could be sent in the two seconds after the client left, shows the
#: connection was closed when the loop was left — not a minute later, nor
#: whenever the garbage collector got round to the stream.
SLOW = "[mock:latency=60s] " + " ".join(f"w{i:02d}" for i in range(60))


async def test_stream_events(clients: Clients, team: TeamInfo) -> None:
    client = clients.make(team)
    job = await call(client, "create_job", "stream")
    text = "one two three four five"
    events = await collect(client.chat_stream(job.job_id, "priced", [{"role": "user", "content": text}], purpose="summary"))
    assert [type(ev) for ev in events] == [TextDelta] * 5 + [StreamDone]
    assert [ev.type for ev in events] == ["delta"] * 5 + ["done"]
    done = events[-1]
    assert done.content == text and done.job_id == job.job_id and done.finish_reason == "stop"
    assert done.usage.prompt_tokens > 0 and done.usage.completion_tokens == 6
    # priced: $10 per 1M output tokens and $2.50 per 1M input tokens, rounded up to the micro-dollar.
    assert done.cost_usd == Decimal("0.000001") * ((done.usage.prompt_tokens * 25 + done.usage.completion_tokens * 100 + 9) // 10)
    assert done.credits_remaining == 99
    costs = await call(client, "job_costs", job.job_id)
    assert costs.calls[0].purpose == "summary" and costs.calls[0].stream is True and costs.calls[0].cost_usd == done.cost_usd


async def test_stream_tool_call(clients: Clients, team: TeamInfo) -> None:
    client = clients.make(team)
    job = await call(client, "create_job", "tools")
    events = await collect(client.chat_stream(job.job_id, "echo", "[mock:tool=get_weather] weather in Paris?", tools=[WEATHER_TOOL]))
    pieces = [ev for ev in events if isinstance(ev, ToolCallDelta)]
    assert pieces and pieces[0].name == "get_weather" and pieces[0].id
    done = events[-1]
    assert isinstance(done, StreamDone) and done.finish_reason == "tool_calls"
    assert [(tc.id, tc.function.name, tc.parsed_arguments()) for tc in done.tool_calls] == [(pieces[0].id, "get_weather", {"city": ""})]


async def test_ask_stream_ends_its_job(clients: Clients, team: TeamInfo) -> None:
    client = clients.make(team)
    events = await collect(client.ask_stream("echo", "a one-call job", job_type="oneshot", user_id="u-1"))
    done = events[-1]
    assert isinstance(done, StreamDone) and done.job is not None
    assert done.job.status == "completed" and done.job.job_type == "oneshot" and done.job.credits_charged == 1
    assert done.credits_charged == 1 and done.credits_remaining == 99


async def _cut_call(client: object, job_id: str) -> object:
    async def check() -> object:
        costs = await call(client, "job_costs", job_id)
        return costs.calls[0] if costs.calls else None

    return await eventually(check, what="the cut call to be recorded")


def _assert_cut(record: object, deltas_seen: int) -> None:
    assert record.status == "error", record  # type: ignore[attr-defined]
    assert "disconnected" in record.error  # type: ignore[attr-defined]
    assert record.usage_source == "estimated"  # type: ignore[attr-defined]
    # What was delivered is what is counted: the chunks seen, and at most
    # two more that the server wrote before it noticed.
    at_most = " ".join(SLOW.split(" ")[: deltas_seen + 2])
    assert 0 < record.completion_tokens <= math.ceil(len(at_most) / 4), record  # type: ignore[attr-defined]


@pytest.fixture
def no_gc() -> Iterator[None]:
    """Turns the cycle collector off, so a stream left behind can only be
    closed by being freed when the loop drops it (reference counting), not
    by a collection that happens to run while the test waits."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def test_leaving_the_loop_cancels_the_call_async(server: Server, team: TeamInfo, no_gc: None) -> None:
    async with AsyncGatehouse(base_url=server.base_url, api_key=team.key) as client:
        job = await client.create_job("cancel")
        seen = 0
        async for ev in client.chat_stream(job.job_id, "echo", SLOW):
            assert isinstance(ev, TextDelta)
            seen += 1
            break
        _assert_cut(await _cut_call(client, job.job_id), seen)
        await client.complete_job(job.job_id, "cancelled")


async def test_leaving_the_loop_cancels_the_call_sync(server: Server, team: TeamInfo, no_gc: None) -> None:
    with Gatehouse(base_url=server.base_url, api_key=team.key) as client:
        job = client.create_job("cancel")
        seen = 0
        for ev in client.chat_stream(job.job_id, "echo", SLOW):
            assert isinstance(ev, TextDelta)
            seen += 1
            if seen == 2:
                break
        _assert_cut(await _cut_call(client, job.job_id), seen)
        client.complete_job(job.job_id, "cancelled")


async def test_closing_a_kept_stream_cancels_the_call(server: Server, team: TeamInfo) -> None:
    async with AsyncGatehouse(base_url=server.base_url, api_key=team.key) as client:
        job = await client.create_job("cancel")
        async with client.chat_stream(job.job_id, "echo", SLOW) as stream:
            first = await stream.__anext__()
            assert isinstance(first, TextDelta)
        # The stream is still referenced here, so only the explicit close
        # can have ended the call.
        _assert_cut(await _cut_call(client, job.job_id), 1)
        assert [ev async for ev in stream] == []  # a stream is one call: nothing more


async def test_cancelling_the_task_cancels_the_call(server: Server, team: TeamInfo) -> None:
    import asyncio

    async with AsyncGatehouse(base_url=server.base_url, api_key=team.key) as client:
        job = await client.create_job("cancel")
        first = asyncio.Event()

        async def consume() -> None:
            async for _ in client.chat_stream(job.job_id, "echo", SLOW):
                first.set()

        task = asyncio.ensure_future(consume())
        await asyncio.wait_for(first.wait(), 20)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        _assert_cut(await _cut_call(client, job.job_id), 1)
