"""Shared fixtures: real DuckDB files in tmp_path, the shipped journeys, small event files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import moments
from moments.demo.build import example_journey

RETAIL = example_journey("retail-store-visit")
BANK = example_journey("bank-lost-wallet")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker per core, at most 4 (each may start a Spark JVM and a
    PostgreSQL cluster of its own)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(4, cores or 1))


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's own MOMENTS_* variables or moments.toml."""
    for key in list(os.environ):
        if key.startswith("MOMENTS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("MOMENTS_CONFIG", str(tmp_path / "no-such-moments.toml"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


@pytest.fixture
def ws(db: Path) -> Iterator[moments.Workspace]:
    """A workspace on a fresh DuckDB file with the retail journey registered."""
    w = moments.open(db)
    w.add_journey(RETAIL)
    yield w
    w.close()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


INTERACTIONS_CSV = """\
event_id,customer_id,moment_id,occurred_at,channel,employee_id,location_id,queue_seconds,greet_seconds
i1,c1,checkout,2026-03-07T14:05:00+00:00,store,e1,store-a,30,
i2,c1,greeting,2026-03-07T14:00:00+00:00,store,e1,store-a,,95
i3,c2,checkout,2026-03-07T15:05:00Z,store,e2,store-a,300,
i4,c2,greeting,2026-03-07T15:00:00+01:00,store,e2,store-a,,30
i5,c3,dressing-room,2026-03-08T10:00:00+00:00,store,e3,store-b,,
i6,c3,checkout,2026-03-08T10:30:00+00:00,store,e3,store-b,120,
"""

FEEDBACK_CSV = """\
event_id,customer_id,moment_id,occurred_at,score,interaction_id,comment
f1,c1,greeting,2026-03-07T16:00:00+00:00,5,i2,Lovely welcome
f2,c3,dressing-room,2026-03-08T12:00:00+00:00,1,i5,No room free for ages
f3,c9,styling-advice,2026-03-09T12:00:00+00:00,4,,
"""


@pytest.fixture
def small(tmp_path: Path) -> dict[str, Path]:
    return {
        "interaction": write(tmp_path / "interactions.csv", INTERACTIONS_CSV),
        "feedback": write(tmp_path / "feedback.csv", FEEDBACK_CSV),
    }


@pytest.fixture
def loaded(ws: moments.Workspace, small: dict[str, Path]) -> moments.Workspace:
    """The small files loaded and judged."""
    for kind, path in small.items():
        report = ws.load(path, kind)
        assert report.quarantined == 0, report.problems
    ws.judge()
    return ws


@pytest.fixture(scope="session")
def analytics_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store (8,000 customers, the planted effects), built once per test run; each user
    opens it with ``moments.open`` and closes it again."""
    from moments.demo.build import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    ws, _ = build_demo(path, customers=8000)
    ws.close()
    return path


@pytest.fixture
def demo(analytics_demo: Path) -> Iterator[moments.Workspace]:
    """The session's demo store, open for one test."""
    ws = moments.open(analytics_demo, create=False)
    yield ws
    ws.close()
