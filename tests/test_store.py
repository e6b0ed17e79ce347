from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from moments.errors import StoreError
from moments.store import SCHEMA_VERSION, TABLES, Store, parse_url
from moments.store.store import redact


def test_creates_every_table_and_records_schema_version(db: Path) -> None:
    with Store.open(db) as s:
        assert set(TABLES) <= set(s.con.list_tables())
        assert s.meta("schema_version") == str(SCHEMA_VERSION)
        assert s.meta("created_at")
    assert db.exists()


def test_reopen_keeps_data(db: Path) -> None:
    with Store.open(db) as s:
        s.append("meta", pa.table({"key": ["k"], "value": ["v"]}))
    with Store.open(db) as s:
        assert s.meta("k") == "v"


def test_wrong_schema_version_is_refused_with_advice(db: Path) -> None:
    with Store.open(db) as s:
        s.con.raw_sql("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match=r"schema version 999.*matching version"):
        Store.open(db)


def test_no_create_on_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="moments init"):
        Store.open(tmp_path / "missing.duckdb", create=False)


def test_not_a_database_file(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.duckdb"
    bogus.write_text("hello, I am not a database\n" * 100)
    with pytest.raises(StoreError, match="cannot open as a DuckDB store"):
        Store.open(bogus)


def test_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder"):
        Store.open(tmp_path)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("acme.duckdb", ("duckdb", "acme.duckdb")),
        ("duckdb:///tmp/x.duckdb", ("duckdb", "/tmp/x.duckdb")),
        ("duckdb://", ("duckdb", ":memory:")),
    ],
)
def test_parse_url(url: str, expected: tuple[str, str]) -> None:
    assert parse_url(url) == expected


def test_postgres_urls_and_unsupported_engines() -> None:
    assert parse_url("postgresql://u:p@h:5432/db") == ("postgres", "postgresql://u:p@h:5432/db")
    assert parse_url("postgres://u@h/db")[0] == "postgres"
    with pytest.raises(StoreError, match="engine 'mysql' is not supported"):
        parse_url("mysql://u@h/db")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://cx:s3cret@db:5432/m", "postgresql://cx:***@db:5432/m"),
        ("postgresql://cx@db/m", "postgresql://cx@db/m"),
        ("postgresql://db/m", "postgresql://db/m"),
        ("postgresql://cx:p@ss@db/m", "postgresql://cx:***@db/m"),
    ],
)
def test_passwords_never_reach_messages(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_transaction_rolls_back_everything(db: Path) -> None:
    with Store.open(db) as s:
        before = s.count("meta")
        with pytest.raises(RuntimeError), s.transaction():
            s.append("meta", pa.table({"key": ["a"], "value": ["1"]}))
            raise RuntimeError("boom")
        assert s.count("meta") == before


def test_staged_chunks_union_columns(db: Path) -> None:
    chunks = [
        pa.table({"a": ["1"], "_line": pa.array([2], pa.int64())}),
        pa.table({"b": ["x"], "_line": pa.array([3], pa.int64())}),
    ]
    with Store.open(db) as s, s.staged_chunks(iter(chunks)) as t:
        rows = t.order_by("_line").to_pyarrow().to_pylist()
    assert rows == [{"a": "1", "_line": 2, "b": None}, {"a": None, "_line": 3, "b": "x"}]


def test_a_version_1_store_is_upgraded_in_place(db: Path) -> None:
    """v2 only added the customers table: an older store gains it and keeps its data."""
    with Store.open(db) as s:
        s.con.raw_sql("DROP TABLE customers")
        s.con.raw_sql("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        s.append("meta", pa.table({"key": ["kept"], "value": ["yes"]}))
    with Store.open(db) as s:
        assert s.meta("schema_version") == str(SCHEMA_VERSION)
        assert "customers" in s.con.list_tables()
        assert s.meta("kept") == "yes"
