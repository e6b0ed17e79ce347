"""The Spark store: URLs, the warehouse's tables, one writer at a time, all or nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from moments.errors import StoreError
from moments.store import Store
from moments.store.spark import driver_memory, parse
from tests.spark import spark_root as spark_root
from tests.spark import spark_url


def test_a_spark_url_names_a_master_and_a_warehouse() -> None:
    assert parse("spark://local[2]?warehouse=/data/m") == ("local[2]", Path("/data/m"))
    assert parse("spark://host:7077?warehouse=/w") == ("spark://host:7077", Path("/w"))
    for bad in ("spark://local[2]", "spark://?warehouse=/w"):
        with pytest.raises(StoreError, match="needs a master and a warehouse folder"):
            parse(bad)


def test_the_driver_gets_a_quarter_of_the_memory_within_bounds() -> None:
    gib = 1 << 30
    assert driver_memory(None, 24 * gib) == "6144m"
    assert driver_memory(None, 4 * gib) == "2048m"  # never below 2 GB
    assert driver_memory(None, 256 * gib) == "16384m"  # nor above 16 GB
    assert driver_memory("", 24 * gib) == "6144m"
    assert driver_memory().endswith("m")  # this machine's


@pytest.mark.parametrize(
    ("given", "heap"),
    [
        ("3g", "3072m"),
        ("3GB", "3072m"),
        ("3 GiB", "3072m"),
        ("1.5g", "1536m"),
        ("512m", "512m"),
        ("512MB", "512m"),
        ("512", "512m"),  # Spark's unit when none is given
        ("1t", "1048576m"),
        ("4194304k", "4096m"),
        ("2147483648b", "2048m"),
    ],
)
def test_a_given_heap_is_written_the_way_spark_reads_it(given: str, heap: str) -> None:
    assert driver_memory(given, 24 << 30) == heap


@given(
    n=st.integers(1, 1 << 20),
    unit=st.sampled_from(["", "k", "m", "g", "t"]),
    suffix=st.sampled_from(["", "b", "ib"]),
    space=st.sampled_from(["", " "]),
    upper=st.booleans(),
)
def test_any_size_spark_can_use_becomes_whole_megabytes(
    n: int, unit: str, suffix: str, space: str, upper: bool
) -> None:
    text = f"{n}{space}{unit}{suffix if unit or suffix == 'b' else ''}"
    text = text.upper() if upper else text
    scale = {"": 1 << 20, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[unit]
    if not unit and suffix == "b":
        scale = 1
    mb = n * scale >> 20
    if mb:
        assert driver_memory(text) == f"{mb}m"
    else:
        with pytest.raises(StoreError, match="is not understood"):
            driver_memory(text)


@given(st.text(max_size=12))
def test_any_text_is_a_heap_or_a_clear_error(text: str) -> None:
    try:
        heap = driver_memory(text, 24 << 30)
    except StoreError as e:
        assert "write e.g. 8g or 8GB" in str(e)
    else:
        assert heap.endswith("m") and int(heap[:-1]) >= 1


@pytest.mark.parametrize("given", ["lots", "3x", "-1g", "0", "100k", "g"])
def test_a_heap_spark_cannot_use_is_refused_with_examples(given: str) -> None:
    with pytest.raises(StoreError, match=f"Spark driver memory '{given}' is not understood"):
        driver_memory(given)


def test_a_missing_warehouse_is_not_created_unless_asked(spark_root: Path) -> None:
    url = spark_url(spark_root, "nowhere")
    with pytest.raises(StoreError, match="no such warehouse"):
        Store.open(url, create=False)
    assert not (spark_root / "nowhere").exists()


def _rows(n: int, start: int = 0) -> pa.Table:
    """Interactions as stored (what a load appends after validation)."""
    when = datetime(2026, 3, 7, 14, 5, tzinfo=UTC)
    return pa.table(
        {
            "event_id": [f"i{k}" for k in range(start, start + n)],
            "customer_id": [f"c{k % 7}" for k in range(start, start + n)],
            "moment_id": ["checkout"] * n,
            "occurred_at": pa.array([when] * n, pa.timestamp("us", tz="UTC")),
            "channel": ["store"] * n,
            "employee_id": [None] * n,
            "location_id": [None] * n,
            "load_id": ["l1"] * n,
        }
    )


def test_a_failed_change_leaves_every_table_as_it_was(spark_root: Path) -> None:
    """Spark has no transactions: added files are deleted again, replaced ones put back."""
    with Store.open(spark_url(spark_root, "rollback")) as store:
        store.append("interactions", _rows(5))
        before = {t: store.count(t) for t in ("interactions", "meta")}
        with pytest.raises(RuntimeError, match="cut short"), store.transaction():
            store.append("interactions", _rows(5, 5))
            store.replace("meta", store.table("meta").limit(0))
            assert store.count("meta") == 0 and store.count("interactions") == 10
            raise RuntimeError("cut short")
        assert {t: store.count(t) for t in before} == before
        assert store.meta("schema_version") is not None
        assert not list((spark_root / "rollback").glob(".trash-*"))  # nothing left aside
        store.delete_in("interactions", "event_id", ["i1", "i2"])
        assert store.count("interactions") == 3


def test_another_process_finds_the_tables_and_gets_the_configured_heap(spark_root: Path) -> None:
    """Spark's catalog lives in memory: a new process registers the folders again. Its heap
    comes from the settings."""
    url = spark_url(spark_root, "reopen")
    with Store.open(url) as store:
        store.append("interactions", _rows(3))
    # the memory limit setting sizes the new process's Spark heap
    env = {k: v for k, v in os.environ.items() if k != "MOMENTS_SPARK_DRIVER_MEMORY"}
    env["MOMENTS_MEMORY_LIMIT"] = "1536MB"
    done = subprocess.run(
        [sys.executable, "-m", "moments.cli.app", "info", "--db", url],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    info = json.loads(done.stdout[done.stdout.index("{") :])
    assert info["engine"] == "spark" and info["tables"]["interactions"] == 3
    assert info["memory_limit"] == "1536m"


def test_staged_rows_are_files_that_go_with_their_view(spark_root: Path) -> None:
    """Loads stage rows as Parquet under .staging (not in Spark's task messages); the files
    are removed with the view, and a killed process's leftovers a day later."""
    import time

    from moments.store.spark import STAGING

    root = spark_root / "staging"
    chunks = [pa.table({"_line": [1, 2], "a": ["x", "y"]}), pa.table({"_line": [3], "b": [7.5]})]
    with Store.open(spark_url(spark_root, "staging")) as store:
        with store.staged_chunks(chunks) as t:
            assert len(list((root / STAGING).glob("*/*.parquet"))) == 2
            rows = sorted(t.to_pyarrow().to_pylist(), key=lambda r: r["_line"])
        assert rows == [
            {"_line": 1, "a": "x", "b": None},
            {"_line": 2, "a": "y", "b": None},
            {"_line": 3, "a": None, "b": "7.5"},  # every column but the line is text
        ]
        assert not list((root / STAGING).iterdir())
    old, fresh = root / STAGING / "_moments_tmp_old", root / STAGING / "_moments_tmp_fresh"
    for folder in (old, fresh):
        folder.mkdir()
        (folder / "part-00000.parquet").write_bytes(b"left by a killed load")
    a_day_ago = time.time() - 2 * 86_400
    os.utime(old, (a_day_ago, a_day_ago))
    Store.open(spark_url(spark_root, "staging")).close()
    assert not old.exists() and fresh.exists()


def test_a_table_kept_by_ranges_is_split_and_sorted_files(spark_root: Path) -> None:
    """What a part-by-part judgement keeps (the answers) is written as Parquet in ranges of
    the column each part filters on, so a part reads its own range, not every row."""
    import pyarrow.parquet as pq

    from moments.store.spark import STAGING

    root = spark_root / "ranged"
    with Store.open(spark_url(spark_root, "ranged")) as store:
        store.append("interactions", _rows(60))
        t = store.table("interactions")
        kept = store.materialize(t.select(key=t.event_id, who=t.customer_id), "key", parts=3)
        files = sorted((root / STAGING).glob("*/*.parquet"))
        assert len(files) == 3
        spans = []
        for f in files:
            keys = pq.read_table(f)["key"].to_pylist()
            assert keys == sorted(keys)
            spans.append((keys[0], keys[-1]))
        spans.sort()
        assert all(a[1] < b[0] for a, b in pairwise(spans))
        got = sorted(kept.to_pyarrow().to_pylist(), key=lambda r: r["key"])
        assert got == sorted(
            ({"key": f"i{k}", "who": f"c{k % 7}"} for k in range(60)), key=lambda r: r["key"]
        )
        in_range = kept.filter((kept.key >= "i2") & (kept.key < "i3")).count().to_pyarrow()
        assert in_range.as_py() == 11  # i2, i20 … i29
        store.drop_temp(kept)
        assert not list((root / STAGING).iterdir())
        # no rows (a store without answers): still a table, of the expression's columns
        none = store.materialize(t.filter(t.event_id == "none").select(key=t.event_id), "key", 4)
        assert none.count().to_pyarrow().as_py() == 0 and none.columns == ("key",)
        store.drop_temp(none)
