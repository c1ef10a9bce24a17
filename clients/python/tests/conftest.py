"""A real Gatehouse for the tests: the session builds the Go binary from
this repository, starts ``gatehouse serve`` on a free loopback port with a
fresh data directory and a chosen master key, waits for /health, and stops
it at the end. Calls go to the built-in mock provider, so no provider key
is needed.

Set GATEHOUSE_BIN to a built binary to skip the build.
"""

from __future__ import annotations

import inspect
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import httpx
import pytest

from gatehouse import AsyncGatehouse, Gatehouse
from gatehouse.admin import Admin

REPO_ROOT = Path(__file__).resolve().parents[3]

#: Aliases every test may use: ``echo`` answers with the last user
#: message; ``priced`` does too, at a price, so costs are not zero;
#: ``nocred`` points at OpenAI, for which the test server has no
#: credential; ``ungranted`` is in no team's group.
SHARED_ALIASES = {
    "echo": {"litellm_model": "mock/echo"},
    "priced": {"litellm_model": "mock/echo", "pricing": {"input_per_million": "2.50", "output_per_million": "10.00"}},
    "nocred": {"litellm_model": "openai/gpt-4"},
    "ungranted": {"litellm_model": "mock/echo"},
}


@dataclass
class TeamInfo:
    """A team made for one test: its organization, ID and virtual key."""

    organization_id: str
    team_id: str
    key: str


@dataclass
class Server:
    """The running Gatehouse, and one admin client the fixtures share."""

    base_url: str
    master_key: str
    log_path: Path
    shared_admin: Optional[Admin] = None

    def admin(self, **kw: Any) -> Admin:
        return Admin(api_key=self.master_key, base_url=self.base_url, **kw)

    def new_team(
        self,
        credits: int = 100,
        *,
        aliases: tuple = ("echo", "priced", "nocred"),
        budget_mode: Optional[str] = None,
        rate_limits: Optional[Dict[str, int]] = None,
    ) -> TeamInfo:
        """A team in its own organization, with its own mock credential:
        the gateway keeps one circuit breaker per credential, so failures a
        test provokes never open the breaker for another test's calls."""
        suffix = uuid.uuid4().hex[:10]
        org, group, team = f"org-{suffix}", f"group-{suffix}", f"team-{suffix}"
        if self.shared_admin is None:
            self.shared_admin = self.admin()
        admin = self.shared_admin
        admin.create_organization(org, f"Org {suffix}")
        admin.create_credential("mock", organization_id=org, api_key="mock-key", credential_name=f"mock-{suffix}")
        admin.create_group(group, list(aliases))
        created = admin.create_team(org, team, access_groups=[group], credits_allocated=credits, budget_mode=budget_mode, rate_limits=rate_limits)
        return TeamInfo(org, team, created["virtual_key"])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_env(data_dir: Path, addr: str, master_key: str) -> Dict[str, str]:
    """The environment without anything that would point the server at a
    real provider, database or config."""

    def dropped(k: str) -> bool:
        return (
            k.startswith(("GATEHOUSE_", "AWS_"))
            or k.endswith(("_API_KEY", "_BASE_URL", "_API_BASE"))
        )

    env = {k: v for k, v in os.environ.items() if not dropped(k)}
    env.update(
        GATEHOUSE_ADDR=addr,
        GATEHOUSE_DATA_DIR=str(data_dir),
        GATEHOUSE_MASTER_KEY=master_key,
        GATEHOUSE_LOG_FORMAT="json",
        GATEHOUSE_LOG_LEVEL="warn",
        GATEHOUSE_SHUTDOWN_TIMEOUT="5s",
    )
    return env


def _build(tmp: Path) -> Path:
    binary = os.environ.get("GATEHOUSE_BIN")
    if binary:
        return Path(binary)
    go = shutil.which("go")
    if go is None:
        pytest.fail("the Python client tests need Go to build gatehouse (or GATEHOUSE_BIN)")
    out = tmp / "gatehouse"
    res = subprocess.run([go, "build", "-o", str(out), "./cmd/gatehouse"], cwd=REPO_ROOT, capture_output=True, text=True)
    if res.returncode != 0:
        pytest.fail(f"go build failed:\n{res.stdout}\n{res.stderr}")
    return out


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("gatehouse")
    binary = _build(tmp)
    port = _free_port()
    master = "gh-test-master-" + secrets.token_hex(16)
    log_path = tmp / "server.log"
    base_url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(binary), "serve"],
            env=_server_env(tmp / "data", f"127.0.0.1:{port}", master),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"gatehouse serve exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
            try:
                if httpx.get(base_url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gatehouse serve did not become healthy in 60s:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.05)
        srv = Server(base_url, master, log_path)
        with srv.admin() as admin:
            for name, spec in SHARED_ALIASES.items():
                admin.create_alias(name, spec["litellm_model"], pricing=spec.get("pricing"))
        yield srv
        if srv.shared_admin is not None:
            srv.shared_admin.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def team(server: Server) -> TeamInfo:
    return server.new_team()


@pytest.fixture(params=["async", "sync"])
def kind(request: pytest.FixtureRequest) -> str:
    """Runs a test once with AsyncGatehouse and once with Gatehouse."""
    return str(request.param)


class Clients:
    """Makes clients of one kind for a test and closes them after it."""

    def __init__(self, kind: str, server: Server) -> None:
        self.kind = kind
        self.server = server
        self._open: List[Any] = []

    def make(self, team: Optional[TeamInfo] = None, **kw: Any) -> Any:
        kw.setdefault("base_url", self.server.base_url)
        if team is not None:
            kw.setdefault("api_key", team.key)
            kw.setdefault("team_id", team.team_id)
        c = AsyncGatehouse(**kw) if self.kind == "async" else Gatehouse(**kw)
        self._open.append(c)
        return c

    async def close(self) -> None:
        for c in self._open:
            if isinstance(c, AsyncGatehouse):
                await c.aclose()
            else:
                c.close()


@pytest.fixture
async def clients(kind: str, server: Server) -> Any:
    cs = Clients(kind, server)
    yield cs
    await cs.close()


async def call(client: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    """Calls a method of either client, awaiting it when it is async, so
    one test body covers both."""
    result = getattr(client, method)(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


async def collect(stream: Any) -> List[Any]:
    """Every event of a sync or async stream."""
    if hasattr(stream, "__aiter__"):
        return [ev async for ev in stream]
    return list(stream)


async def eventually(check: Any, timeout: float = 20.0, what: str = "condition") -> Any:
    """Polls ``check`` (sync or async) until it returns something truthy;
    the generous deadline is for loaded CI machines, not a timing claim."""
    import asyncio

    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def pytest_report_header(config: Any) -> str:
    import httpx as _httpx

    return f"gatehouse client tests: python {sys.version.split()[0]}, httpx {_httpx.__version__}"
