"""Every error type, provoked on a real Gatehouse where a healthy server
produces it (and on the scripted fake where it does not: see
test_retry.py), on both clients. Each check names the class, the status,
the code and, where one field is at fault, the field."""

from __future__ import annotations

from typing import Any, List

import httpx
import pytest

from gatehouse import (
    APIError,
    Gatehouse,
    Conflict,
    Forbidden,
    GatehouseError,
    InsufficientCredits,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    ProviderError,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from gatehouse.admin import Admin, AsyncAdmin

from .conftest import Clients, Server, TeamInfo, call


def counting(clients: Clients) -> Any:
    """An httpx client that counts the requests it sends, for checking how
    often the gatehouse client tried."""
    sent: List[httpx.Request] = []
    if clients.kind == "async":

        async def hook(req: httpx.Request) -> None:
            sent.append(req)

        http: Any = httpx.AsyncClient(event_hooks={"request": [hook]})
    else:
        http = httpx.Client(event_hooks={"request": [sent.append]})
    return http, sent


async def close_http(http: Any) -> None:
    if isinstance(http, httpx.AsyncClient):
        await http.aclose()
    else:
        http.close()


def check(err: APIError, cls: type, status: int, code: str, field: Any = None) -> None:
    assert type(err) is cls
    assert isinstance(err, APIError) and isinstance(err, GatehouseError)
    assert (err.status, err.code, err.field) == (status, code, field)
    assert err.message


async def test_unauthorized(clients: Clients, server: Server) -> None:
    client = clients.make(api_key="gh-sk-not-a-real-key")
    with pytest.raises(Unauthorized) as exc:
        await call(client, "create_job", "x")
    check(exc.value, Unauthorized, 401, "unauthorized")


async def test_insufficient_credits(clients: Clients, server: Server) -> None:
    client = clients.make(server.new_team(credits=0))
    with pytest.raises(InsufficientCredits) as exc:
        await call(client, "create_job", "x")
    check(exc.value, InsufficientCredits, 402, "insufficient_credits")
    with pytest.raises(InsufficientCredits):
        await call(client, "ask", "echo", "hello")
    assert (await call(client, "balance")).credits_remaining == 0


async def test_forbidden(clients: Clients, server: Server, team: TeamInfo) -> None:
    client = clients.make(team)
    job = await call(client, "create_job", "x")
    with pytest.raises(Forbidden) as exc:
        await call(client, "chat", job.job_id, "ungranted", "hello")
    check(exc.value, Forbidden, 403, "forbidden", "model")
    with pytest.raises(Forbidden) as exc:
        await call(client, "balance", team_id="someone-else")
    check(exc.value, Forbidden, 403, "forbidden", "team_id")
    with server.admin() as admin:
        admin.suspend_team(team.team_id)
    with pytest.raises(Forbidden) as exc:
        await call(client, "get_job", job.job_id)
    assert "suspended" in exc.value.message


async def test_not_found(clients: Clients, team: TeamInfo) -> None:
    client = clients.make(team)
    with pytest.raises(NotFound) as exc:
        await call(client, "get_job", "no-such-job")
    check(exc.value, NotFound, 404, "not_found")
    job = await call(client, "create_job", "x")
    with pytest.raises(NotFound) as exc:
        await call(client, "chat", job.job_id, "no-such-alias", "hello")
    check(exc.value, NotFound, 404, "not_found", "model")
    # Another team's job is not found either.
    other = clients.make(clients.server.new_team())
    with pytest.raises(NotFound):
        await call(other, "job_costs", job.job_id)


async def test_conflict(clients: Clients, team: TeamInfo) -> None:
    client = clients.make(team)
    job = await call(client, "create_job", "x")
    await call(client, "complete_job", job.job_id)
    with pytest.raises(Conflict) as exc:
        await call(client, "chat", job.job_id, "echo", "too late")
    check(exc.value, Conflict, 409, "conflict")


async def test_invalid_request(clients: Clients, team: TeamInfo) -> None:
    client = clients.make(team)
    job = await call(client, "create_job", "x")
    with pytest.raises(InvalidRequest) as exc:
        await call(client, "chat", job.job_id, "echo", [])
    check(exc.value, InvalidRequest, 400, "invalid_request", "messages")
    # A request the provider refuses is the caller's to fix, too.
    with pytest.raises(InvalidRequest) as exc:
        await call(client, "chat", job.job_id, "echo", "[mock:error=400] hi")
    assert "simulated" in exc.value.message


async def test_rate_limited_by_team_limit(clients: Clients, server: Server) -> None:
    http, sent = counting(clients)
    try:
        client = clients.make(server.new_team(rate_limits={"requests_per_minute": 1}), http_client=http, max_retry_after=0.5)
        await call(client, "ask", "echo", "the one call this minute")
        sent.clear()
        with pytest.raises(RateLimited) as exc:
            await call(client, "ask", "echo", "one too many")
        check(exc.value, RateLimited, 429, "rate_limited")
        assert exc.value.retry_after is not None and exc.value.retry_after > 0.5
        # A Retry-After longer than max_retry_after is not sat out.
        assert len(sent) == 1
    finally:
        await close_http(http)


def test_rate_limited_by_provider(server: Server, team: TeamInfo) -> None:
    # Once, not per client kind: the gateway itself retries the provider's
    # 429 twice, honouring its one-second Retry-After, before answering.
    with Gatehouse(base_url=server.base_url, api_key=team.key, max_retries=0) as client:
        job = client.create_job("x")
        with pytest.raises(RateLimited) as exc:
            client.chat(job.job_id, "echo", "[mock:error=429] hi")
    check(exc.value, RateLimited, 429, "rate_limited")
    assert exc.value.retry_after == 1  # the mock's simulated Retry-After


async def test_provider_error_is_not_retried(clients: Clients, team: TeamInfo) -> None:
    http, sent = counting(clients)
    try:
        client = clients.make(team, http_client=http, backoff_base=0.01)
        job = await call(client, "create_job", "x")
        sent.clear()
        with pytest.raises(ProviderError) as exc:
            await call(client, "chat", job.job_id, "echo", "[mock:error=401] hi")
        check(exc.value, ProviderError, 502, "provider_error")
        assert "credential" in exc.value.message
        # The call may have run: a 502 is never repeated for a call.
        assert len(sent) == 1
        costs = await call(client, "job_costs", job.job_id)
        assert [c.status for c in costs.calls] == ["error"]
    finally:
        await close_http(http)


async def test_unavailable_is_retried_then_raised(clients: Clients, team: TeamInfo) -> None:
    http, sent = counting(clients)
    try:
        client = clients.make(team, http_client=http, max_retries=2, backoff_base=0.01)
        job = await call(client, "create_job", "x")
        sent.clear()
        with pytest.raises(Unavailable) as exc:
            await call(client, "chat", job.job_id, "nocred", "hi")
        check(exc.value, Unavailable, 503, "unavailable")
        # Nothing ran, so the call was safe to repeat: three attempts.
        assert [r.url.path for r in sent] == [f"/api/jobs/{job.job_id}/llm-call"] * 3
    finally:
        await close_http(http)


def test_method_not_allowed_sync(server: Server) -> None:
    with Admin(api_key=server.master_key, base_url=server.base_url) as admin:
        with pytest.raises(MethodNotAllowed) as exc:
            admin.request("DELETE", "/api/providers")
    check(exc.value, MethodNotAllowed, 405, "method_not_allowed")


async def test_method_not_allowed_async(server: Server) -> None:
    async with AsyncAdmin(api_key=server.master_key, base_url=server.base_url) as admin:
        with pytest.raises(MethodNotAllowed) as exc:
            await admin.request("DELETE", "/api/providers")
    check(exc.value, MethodNotAllowed, 405, "method_not_allowed")


async def test_a_team_key_opens_no_management_route(server: Server, team: TeamInfo) -> None:
    async with AsyncAdmin(api_key=team.key, base_url=server.base_url) as admin:
        with pytest.raises(Forbidden):
            await admin.list_teams()


async def test_missing_ids_fail_before_any_request(clients: Clients, team: TeamInfo) -> None:
    client = clients.make(team)
    with pytest.raises(ValueError):
        await call(client, "get_job", "")
    with pytest.raises(TypeError):
        await call(client, "chat", "job", "echo", "hi", stream=True)
    no_team = clients.make(api_key=team.key)
    with pytest.raises(ValueError, match="team_id"):
        await call(no_team, "balance")
