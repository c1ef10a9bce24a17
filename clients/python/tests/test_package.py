"""The package itself: it builds as a wheel offline with Debian's
setuptools (what ``pip install ./clients/python`` does with a registry),
ships its type marker, needs nothing but httpx to import, and decodes
money and times exactly."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from gatehouse._transport import encode_json
from gatehouse.types import Balance, JobCosts, decode, parse_time

PACKAGE = Path(__file__).resolve().parents[1]


def test_import_needs_only_httpx() -> None:
    code = "import sys, gatehouse, gatehouse.admin; bad = {'pydantic', 'anyio.pytest_plugin'} & set(sys.modules); assert not bad, bad"
    path = os.pathsep.join(p for p in (str(PACKAGE / "src"), os.environ.get("PYTHONPATH", "")) if p)
    env = dict(os.environ, PYTHONPATH=path)
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_wheel_builds_offline(tmp_path: Path) -> None:
    pytest.importorskip("setuptools")
    pytest.importorskip("pip")
    # A copy, because setuptools writes build/ and egg-info/ next to the
    # sources it builds.
    src = tmp_path / "pkg"
    shutil.copytree(PACKAGE, src, ignore=shutil.ignore_patterns("tests", "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    res = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(tmp_path), str(src)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    (wheel,) = tmp_path.glob("gatehouse-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert {"gatehouse/__init__.py", "gatehouse/admin.py", "gatehouse/py.typed"} <= names
    assert not any(n.startswith("tests/") for n in names)
    # setuptools versions spell requirements differently ("httpx (>=0.23)").
    norm = meta.replace(" ", "").replace("(", "").replace(")", "").replace("'", '"')
    assert "Requires-Dist:httpx>=0.23\n" in norm and "Requires-Python:>=3.9\n" in norm
    assert 'Requires-Dist:pydantic>=1.10;extra=="pydantic"\n' in norm


def test_money_is_exact() -> None:
    # Decimal all the way: no float could hold these.
    b = decode(Balance, {"credits_balance": Decimal("123456789012.123456"), "credits_held": 7, "credits_remaining": "0.000001"})
    assert b.credits_balance == Decimal("123456789012.123456")
    assert b.credits_held == Decimal(7) and b.credits_remaining == Decimal("0.000001")
    costs = decode(JobCosts, {"cost_usd": Decimal("0.1"), "calls": [{"cost_usd": Decimal("0.2")}], "metadata": {"score": Decimal("0.5")}})
    assert costs.cost_usd + costs.calls[0].cost_usd == Decimal("0.3")
    assert costs.metadata == {"score": 0.5} and type(costs.metadata["score"]) is float


def test_amounts_are_sent_as_exact_numbers() -> None:
    # Gatehouse refuses credits written as strings: Decimals go out as JSON
    # numbers with their own digits, never through a float.
    body = encode_json({"credits": Decimal("0.1"), "big": Decimal("123456789012.123456"), "exp": Decimal("1E+3"), "text": "0.1"})
    assert body == b'{"credits": 0.1, "big": 123456789012.123456, "exp": 1000, "text": "0.1"}'
    with pytest.raises(ValueError):
        encode_json({"credits": Decimal("NaN")})


@pytest.mark.parametrize(
    "text,want",
    [
        ("2026-12-04T14:57:00.474996123Z", datetime(2026, 12, 4, 14, 57, 0, 474996, tzinfo=timezone.utc)),
        ("2026-12-04T14:57:00Z", datetime(2026, 12, 4, 14, 57, tzinfo=timezone.utc)),
        ("2026-12-04T15:57:00.5+01:00", datetime(2026, 12, 4, 15, 57, 0, 500000, tzinfo=timezone(timedelta(hours=1)))),
        ("not a time", None),
        (None, None),
    ],
)
def test_times_as_go_writes_them(text: object, want: object) -> None:
    assert parse_time(text) == want


@pytest.mark.parametrize(
    "module,shared,async_class",
    [("admin", "_AdminMethods", "AsyncAdmin"), ("_client", "_TeamMethods", "AsyncGatehouse"), ("_client", "_SessionMethods", "AsyncJobSession")],
)
def test_async_classes_type_every_method(module: str, shared: str, async_class: str) -> None:
    # The asyncio classes run the shared methods; the lines in their
    # TYPE_CHECKING blocks only give type checkers the awaitable results.
    # One per public method, so a new method cannot be left mistyped.
    import importlib

    mod = importlib.import_module(f"gatehouse.{module}")
    methods = {n for n, v in vars(getattr(mod, shared)).items() if callable(v) and not n.startswith("_")}
    source = (PACKAGE / "src" / "gatehouse" / f"{module}.py").read_text()
    block = source[source.index(f"class {async_class}(") :]
    typed = re.findall(rf"^        (\w+) = (?:awaitable|returning)\({shared}\.(\w+)[,)]", block, re.M)
    assert all(a == b for a, b in typed)
    assert {a for a, _ in typed} == methods
