"""The model-alias guide's flow, end to end against a real Gatehouse: alias,
access group, organization, team, then a job with a call, a stream, its
completion and its costs — once on asyncio and once blocking.

The guide's aliases point at OpenAI; here they point at the built-in mock
provider, which is the guide's own point: the client code does not change
with the provider behind an alias (the sync flow switches one live).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from gatehouse import AsyncGatehouse, Gatehouse, StreamDone, TextDelta, Unavailable
from gatehouse.admin import Admin, AsyncAdmin

from .conftest import Server


def mock_tokens(text: str) -> int:
    """The mock provider's documented rule: a text of b bytes is ceil(b/4)
    tokens."""
    return math.ceil(len(text.encode()) / 4)


async def test_guide_flow_async(server: Server) -> None:
    async with AsyncAdmin(api_key=server.master_key, base_url=server.base_url) as admin:
        # 1. Create model aliases (the guide's curl, through the client).
        created = await admin.create_alias("gpt-4", "mock/echo", description="GPT-4 for complex tasks", active=True)
        assert created["alias"] == "gpt-4" and created["litellm_model"] == "mock/echo" and created["active"] is True
        await admin.create_alias("gpt-3.5-turbo", "mock/echo", description="Fast model for simple tasks")
        # 2. Create the access group, then add a model to it.
        await admin.create_group("starter-models", ["gpt-3.5-turbo"], description="Models for starter plan")
        group = await admin.add_models("starter-models", ["gpt-4"])
        assert sorted(group["model_aliases"]) == ["gpt-3.5-turbo", "gpt-4"]
        # 3. Create the organization, 4. the team.
        await admin.create_organization("org_newclient", "New Client Inc")
        team = await admin.create_team(
            "org_newclient", "newclient-prod", team_alias="Production", access_groups=["starter-models"], credits_allocated=1000
        )
        assert team["virtual_key"].startswith("gh-sk-")
        assert sorted(team["allowed_model_aliases"]) == ["gpt-3.5-turbo", "gpt-4"]

    # 5. The client uses the aliases.
    async with AsyncGatehouse(base_url=server.base_url, api_key=team["virtual_key"], team_id="newclient-prod") as client:
        job = await client.create_job("summarize", user_id="u-17", metadata={"order": "1234"})
        job_id = job.job_id
        assert job.status == "pending" and job.credits_reserved == 1 and job.metadata == {"order": "1234"}

        text = "Summarize: Gatehouse meters every call."
        response = await client.chat(job_id=job_id, model="gpt-4", messages=[{"role": "user", "content": text}])
        assert response.content == text  # mock/echo answers with the last user message
        assert response.model == "gpt-4" and response.job_id == job_id and response.finish_reason == "stop"
        assert response.usage.completion_tokens == mock_tokens(text)
        assert response.usage.prompt_tokens == mock_tokens(text) + 3
        assert response.usage.source == "provider"
        assert response.credits_remaining == Decimal(999)  # one credit is held for the open job

        streamed = "Stream this answer back, word by word."
        events = [ev async for ev in client.chat_stream(job_id=job_id, model="gpt-3.5-turbo", messages=[{"role": "user", "content": streamed}])]
        deltas = [ev for ev in events if isinstance(ev, TextDelta)]
        assert len(deltas) > 1
        assert "".join(d.content for d in deltas) == streamed
        done = events[-1]
        assert isinstance(done, StreamDone) and [ev for ev in events if isinstance(ev, StreamDone)] == [done]
        assert done.content == streamed and done.finish_reason == "stop" and done.model == "gpt-3.5-turbo"
        assert done.usage.completion_tokens == mock_tokens(streamed) and done.usage.source == "provider"
        assert done.credits_remaining == Decimal(999)

        ended = await client.complete_job(job_id, status="completed")
        assert ended.status == "completed" and ended.credits_charged == 1 and ended.call_count == 2

        costs = await client.job_costs(job_id)
        assert costs.status == "completed" and costs.credits_charged == 1
        assert [(c.model, c.stream, c.status, c.provider, c.provider_model) for c in costs.calls] == [
            ("gpt-4", False, "success", "mock", "echo"),
            ("gpt-3.5-turbo", True, "success", "mock", "echo"),
        ]
        assert costs.calls[0].call_id == response.call_id and costs.calls[1].call_id == done.call_id
        assert costs.total_tokens == response.usage.total_tokens + done.usage.total_tokens

        balance = await client.balance()
        assert (balance.credits_balance, balance.credits_held, balance.credits_remaining) == (999, 0, 999)
        ledger = await client.transactions()
        assert ledger.items[0].transaction_type == "deduction" and ledger.items[0].job_id == job_id
        assert ledger.items[0].balance_after == 999
        assert ledger.items[-1].transaction_type == "allocation" and ledger.items[-1].credits_amount == 1000

        month = datetime.now(timezone.utc).strftime("%Y-%m")
        usage = await client.usage(period=month)
        assert usage.jobs == 1 and usage.jobs_completed == 1 and usage.totals.calls == 2
        assert usage.totals.credits_charged == 1
        assert sorted(g.key for g in usage.by_model) == ["gpt-3.5-turbo", "gpt-4"]
        assert [g.key for g in usage.by_job_type] == ["summarize"]


def test_guide_flow_sync_switching_providers(server: Server) -> None:
    with Admin(api_key=server.master_key, base_url=server.base_url) as admin:
        admin.create_alias("smart", "openai/gpt-4", description="Smart model for complex tasks")
        admin.create_group("acme-models", ["smart"])
        admin.create_organization("org_acme", "Acme")
        team = admin.create_team("org_acme", "acme-prod", access_groups=["acme-models"], credits_allocated=10)

        with Gatehouse(base_url=server.base_url, api_key=team["virtual_key"], team_id="acme-prod", backoff_base=0.01) as client:
            job = client.create_job("analysis")
            messages = [{"role": "user", "content": "Which plan fits a team of five?"}]
            # The test server has no OpenAI credential: the alias cannot be
            # served until it is pointed elsewhere.
            with pytest.raises(Unavailable) as refused:
                client.chat(job_id=job.job_id, model="smart", messages=messages)
            assert refused.value.status == 503 and "openai" in refused.value.message

            # Later: switch the alias without client changes.
            switched = admin.update_alias("smart", litellm_model="mock/echo", description="Smart model (now on the mock)")
            assert switched["litellm_model"] == "mock/echo"

            response = client.chat(job_id=job.job_id, model="smart", messages=messages)  # the same client code
            assert response.content == messages[0]["content"]

            events = list(client.chat_stream(job_id=job.job_id, model="smart", messages=messages))
            assert "".join(ev.content for ev in events if isinstance(ev, TextDelta)) == messages[0]["content"]
            assert isinstance(events[-1], StreamDone) and events[-1].credits_remaining == 9

            assert client.complete_job(job.job_id).credits_charged == 1
            costs = client.job_costs(job.job_id)
            served = [(c.provider, c.status) for c in costs.calls if c.status == "success"]
            assert served == [("mock", "success"), ("mock", "success")]
            assert costs.failed_calls == len(costs.calls) - 2
            assert client.balance().credits_remaining == 9
            assert client.usage().jobs_completed == 1
