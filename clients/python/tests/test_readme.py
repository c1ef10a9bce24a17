"""The README's runnable examples (the blocks marked "runs in tests"), run
as written in a fresh interpreter against the test server, with only the
environment variables the client reads: so the guide's
``await client.chat(job_id=job_id, model="gpt-4", messages=[...])`` is
known to work as the README shows it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from gatehouse import Conflict

from .conftest import Server

README = Path(__file__).resolve().parents[1] / "README.md"


def runnable_blocks() -> List[str]:
    text = README.read_text()
    return re.findall(r"<!-- runs in tests[^>]*-->\n```python\n(.*?)```", text, re.S)


def test_the_readme_has_runnable_examples() -> None:
    blocks = runnable_blocks()
    assert len(blocks) == 2
    assert 'model="gpt-4"' in blocks[0] and "await client.chat(" in blocks[0]


@pytest.mark.parametrize("index", [0, 1])
def test_readme_example_runs(server: Server, index: int) -> None:
    with server.admin() as admin:
        try:  # the guide flow test may have made it already
            admin.create_alias("gpt-4", "mock/echo")
        except Conflict:
            pass
    team = server.new_team(aliases=("gpt-4",))
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p),
        GATEHOUSE_BASE_URL=server.base_url,
        GATEHOUSE_API_KEY=team.key,
    )
    env.pop("GATEHOUSE_TEAM_ID", None)
    res = subprocess.run([sys.executable, "-c", runnable_blocks()[index]], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    out = res.stdout.splitlines()
    if index == 0:
        assert out[0] == "Summarize: Gatehouse meters every call."
        assert out[1].endswith("USD") and out[2] == "completed - charged 1 credit"
    else:
        assert out[0] == "Stream me." and out[1].endswith("99 credits left") and out[2] == "completed"
