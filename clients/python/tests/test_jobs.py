"""Jobs against a real Gatehouse: the job block (completed on success,
failed on an exception, cancelled with its task), idempotent creation,
metadata, listing, one-call jobs, structured output and tool calls."""

from __future__ import annotations

import asyncio
from typing import Any, List, Optional

import pytest

from gatehouse import AsyncGatehouse, Conflict, Gatehouse, InvalidRequest, StructuredOutputError, tool_result

from .conftest import Clients, Server, TeamInfo, call


class Boom(Exception):
    pass


async def test_job_block_completes_async(server: Server, team: TeamInfo) -> None:
    async with AsyncGatehouse(base_url=server.base_url, api_key=team.key, team_id=team.team_id) as client:
        async with client.job("summarize", user_id="u-1") as job:
            answer = await job.chat("echo", "inside the block")
            assert answer.content == "inside the block" and answer.job_id == job.job_id
            assert (await client.get_job(job.job_id)).status == "in_progress"
        assert job.job.status == "completed" and job.job.credits_charged == 1
        assert (await client.get_job(job.job_id)).status == "completed"
        assert (await client.balance()).credits_remaining == 99


def test_job_block_completes_sync(server: Server, team: TeamInfo) -> None:
    with Gatehouse(base_url=server.base_url, api_key=team.key, team_id=team.team_id) as client:
        with client.job("summarize") as job:
            assert job.chat("echo", "inside the block").content == "inside the block"
            job.update_metadata({"step": "done"})
        assert job.job.status == "completed"
        stored = client.get_job(job.job_id)
        assert stored.status == "completed" and stored.metadata == {"step": "done"}
        assert client.balance().credits_remaining == 99


async def test_job_block_fails_on_exception_async(server: Server, team: TeamInfo) -> None:
    async with AsyncGatehouse(base_url=server.base_url, api_key=team.key, team_id=team.team_id) as client:
        with pytest.raises(Boom):
            async with client.job("summarize") as job:
                await job.chat("echo", "a call before the failure")
                raise Boom("the parser broke")
        stored = await client.get_job(job.job_id)
        assert stored.status == "failed" and stored.error_message == "Boom: the parser broke"
        assert stored.credits_charged == 0
        balance = await client.balance()
        assert (balance.credits_remaining, balance.credits_held) == (100, 0)  # failed jobs are free


def test_job_block_fails_on_exception_sync(server: Server, team: TeamInfo) -> None:
    with Gatehouse(base_url=server.base_url, api_key=team.key, team_id=team.team_id) as client:
        with pytest.raises(Boom):
            with client.job("summarize") as job:
                raise Boom("no answer wanted")
        stored = client.get_job(job.job_id)
        assert stored.status == "failed" and "no answer wanted" in stored.error_message
        assert client.balance().credits_remaining == 100


async def test_job_block_fails_when_a_call_fails(clients: Clients, team: TeamInfo) -> None:
    client = clients.make(team)
    job_id: Optional[str] = None
    with pytest.raises(InvalidRequest):
        if clients.kind == "async":
            async with client.job("x") as job:
                job_id = job.job_id
                await job.chat("echo", "[mock:error=400] refused")
        else:
            with client.job("x") as job:
                job_id = job.job_id
                job.chat("echo", "[mock:error=400] refused")
    stored = await call(client, "get_job", job_id)
    assert stored.status == "failed" and stored.error_message.startswith("InvalidRequest: 400 invalid_request")


async def test_job_block_cancelled_with_its_task(server: Server, team: TeamInfo) -> None:
    async with AsyncGatehouse(base_url=server.base_url, api_key=team.key, team_id=team.team_id) as client:
        opened: "asyncio.Future[str]" = asyncio.get_running_loop().create_future()

        async def work() -> None:
            async with client.job("long") as job:
                opened.set_result(job.job_id)
                await asyncio.sleep(3600)

        task = asyncio.ensure_future(work())
        job_id = await asyncio.wait_for(opened, 20)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert (await client.get_job(job_id)).status == "cancelled"
        assert (await client.balance()).credits_held == 0


async def test_job_block_ended_by_hand(clients: Clients, team: TeamInfo) -> None:
    client = clients.make(team)
    if clients.kind == "async":
        async with client.job("x") as job:
            ended = await job.fail("the customer withdrew")
    else:
        with client.job("x") as job:
            ended = job.fail("the customer withdrew")
    assert ended.status == "failed" and ended.error_message == "the customer withdrew"
    # The block's end left the job as the code ended it.
    assert (await call(client, "get_job", job.job_id)).status == "failed"


async def test_create_job_idempotency_key(clients: Clients, team: TeamInfo) -> None:
    client = clients.make(team)
    first = await call(client, "create_job", "order", idempotency_key="order-1234")
    again = await call(client, "create_job", "order", idempotency_key="order-1234")
    other = await call(client, "create_job", "order")
    assert first.job_id == again.job_id != other.job_id
    assert (await call(client, "balance")).credits_held == 2


async def test_update_metadata_merges(clients: Clients, team: TeamInfo) -> None:
    client = clients.make(team)
    job = await call(client, "create_job", "meta", metadata={"a": 1, "b": "two"})
    job = await call(client, "update_metadata", job.job_id, {"b": None, "c": 0.5})
    assert job.metadata == {"a": 1, "c": 0.5}
    assert isinstance(job.metadata["c"], float)  # callers' own numbers come back as they were sent


async def test_list_jobs(clients: Clients, team: TeamInfo) -> None:
    client = clients.make(team)
    for kind in ("alpha", "beta", "alpha"):
        await call(client, "create_job", kind)
    page = await call(client, "list_jobs", job_type="alpha", limit=1)
    assert page.total == 2 and len(page.items) == 1 and page.has_more
    assert page.items[0].job_type == "alpha"
    rest = await call(client, "list_jobs", job_type="alpha", limit=1, offset=1)
    assert not rest.has_more and rest.items[0].job_id != page.items[0].job_id


async def test_ask(clients: Clients, team: TeamInfo) -> None:
    client = clients.make(team)
    answer = await call(client, "ask", "priced", [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "one call"}], job_type="oneshot")
    assert answer.content == "one call"
    assert answer.job is not None and answer.job.status == "completed" and answer.job.job_type == "oneshot"
    assert answer.credits_charged == 1 and answer.credits_remaining == 99 and answer.cost_usd > 0
    with pytest.raises(InvalidRequest):
        await call(client, "ask", "echo", "[mock:error=400] refused", job_type="refused")
    failed = await call(client, "list_jobs", job_type="refused")
    assert [j.status for j in failed.items] == ["failed"]
    assert (await call(client, "balance")).credits_remaining == 99  # the failed one-call job was free


async def test_ask_with_an_idempotency_key_runs_once(clients: Clients, team: TeamInfo) -> None:
    client = clients.make(team)
    first = await call(client, "ask", "echo", "once only", idempotency_key="request-7")
    assert first.job is not None and first.job.status == "completed"
    with pytest.raises(Conflict):
        await call(client, "ask", "echo", "once only", idempotency_key="request-7")
    assert (await call(client, "balance")).credits_remaining == 99  # charged once


PERSON_SCHEMA = {
    "title": "Person",
    "type": "object",
    "properties": {"name": {"type": "string", "minLength": 3}, "age": {"type": "integer", "minimum": 18}, "email": {"type": "string", "format": "email"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


async def test_structured_with_a_json_schema(clients: Clients, team: TeamInfo) -> None:
    client = clients.make(team)
    job = await call(client, "create_job", "extract")
    person = await call(client, "structured", job.job_id, "echo", "Ada, 36", PERSON_SCHEMA)
    # The mock answers with the minimal instance of the schema.
    assert person == {"name": "xxx", "age": 18}
    costs = await call(client, "job_costs", job.job_id)
    assert costs.calls[0].status == "success"


try:
    import pydantic
except ImportError:  # the optional extra
    pydantic = None

if pydantic is not None:

    class Address(pydantic.BaseModel):
        city: str

    class Person(pydantic.BaseModel):
        name: str
        age: int
        address: Address
        nickname: Optional[str] = None


@pytest.mark.skipif(pydantic is None, reason="pydantic is not installed (the optional extra)")
async def test_structured_with_a_pydantic_model(clients: Clients, team: TeamInfo) -> None:
    client = clients.make(team)
    job = await call(client, "create_job", "extract")
    person = await call(client, "structured", job.job_id, "echo", "Ada, 36, London", Person)
    assert isinstance(person, Person) and isinstance(person.address, Address)
    assert (person.name, person.age, person.address.city, person.nickname) == ("", 0, "", None)


async def test_structured_answer_cut_short(clients: Clients, team: TeamInfo) -> None:
    client = clients.make(team)
    job = await call(client, "create_job", "extract")
    with pytest.raises(StructuredOutputError) as exc:
        await call(client, "structured", job.job_id, "echo", "Ada", PERSON_SCHEMA, max_tokens=1)
    assert exc.value.finish_reason == "length" and exc.value.content
    assert exc.value.response.usage.completion_tokens == 1


async def test_tool_call_round_trip(clients: Clients, team: TeamInfo) -> None:
    client = clients.make(team)
    job = await call(client, "create_job", "tools")
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}}]
    messages: List[Any] = [{"role": "user", "content": "find it"}]
    first = await call(client, "chat", job.job_id, "echo", messages, tools=tools, tool_choice={"type": "function", "function": {"name": "lookup"}})
    assert first.finish_reason == "tool_calls"
    (tc,) = first.tool_calls
    assert tc.function.name == "lookup" and tc.parsed_arguments() == {"q": ""}
    messages += [first.message(), tool_result(tc.id, {"result": 42}), {"role": "user", "content": "thanks"}]
    second = await call(client, "chat", job.job_id, "echo", messages, tools=tools)
    assert second.finish_reason == "stop" and second.content == "thanks"
