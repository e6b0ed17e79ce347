from __future__ import annotations

from pathlib import Path

import pytest

import moments
from moments.settings import DEFAULT_DATABASE, Settings


def test_defaults_work_on_a_fresh_machine() -> None:
    s = Settings()
    assert s.database_url == DEFAULT_DATABASE and s.text_backend == "none" and s.timezone is None


def test_env_beats_file_and_file_beats_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "moments.toml"
    cfg.write_text('database_url = "from-file.duckdb"\ntimezone = "Europe/Paris"\n')
    monkeypatch.setenv("MOMENTS_CONFIG", str(cfg))
    s = Settings()
    assert (s.database_url, s.timezone) == ("from-file.duckdb", "Europe/Paris")
    monkeypatch.setenv("MOMENTS_DATABASE_URL", "from-env.duckdb")
    assert Settings().database_url == "from-env.duckdb"
    assert Settings(database_url="explicit.duckdb").database_url == "explicit.duckdb"


def test_open_uses_the_configured_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "configured.duckdb"
    monkeypatch.setenv("MOMENTS_DATABASE_URL", f"duckdb://{target}")
    with moments.open() as ws:
        assert ws.info()["location"] == str(target)
    assert target.exists()


def test_configured_timezone_applies_to_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import RETAIL, write

    monkeypatch.setenv("MOMENTS_TIMEZONE", "America/New_York")
    with moments.open(tmp_path / "tz.duckdb") as ws:
        ws.add_journey(RETAIL)
        f = write(
            tmp_path / "f.csv",
            "event_id,customer_id,moment_id,occurred_at,score\n"
            "f1,c1,greeting,2026-01-10 09:00:00,4\n",
        )
        assert ws.load(f, "feedback").added == 1
        ts = ws.events("feedback").occurred_at.to_pyarrow().to_pylist()[0]
    assert str(ts) == "2026-01-10 14:00:00+00:00"


def test_memory_limit_reaches_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOMENTS_MEMORY_LIMIT", "512MB")
    with moments.open(tmp_path / "m.duckdb") as ws:
        limit = ws.store.con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
        assert ws.info()["memory_limit"] == limit  # what `moments info` shows
    assert limit.replace(" ", "").upper() in {"512.0MB", "488.2MIB", "512MB", "488.2MB"}


def test_the_spark_heap_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOMENTS_SPARK_DRIVER_MEMORY", "6g")
    monkeypatch.setenv("MOMENTS_MEMORY_LIMIT", "3GB")
    s = Settings()
    assert (s.spark_driver_memory, s.memory_limit) == ("6g", "3GB")


def test_bad_memory_limit_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOMENTS_MEMORY_LIMIT", "lots")
    with pytest.raises(moments.StoreError, match="memory limit 'lots' is not understood"):
        moments.open(tmp_path / "m.duckdb")
