"""Property tests: the row validator agrees with a plain-Python oracle on every row."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import moments
from moments.ingest.load import LoadReport
from tests.conftest import RETAIL
from tests.fuzz import FUZZ, HUGE, ODD_TEXT, clean, mutated, yamlish

MOMENTS = ["greeting", "checkout", "dressing-room"]
GOOD_TS = ["2026-03-07T16:00:00Z", "2026-03-07T16:00:00+02:00", "2026-12-31T23:59:59.5-05:00"]
NAIVE_TS = ["2026-03-07 16:00:00", "2026-03-07T16:00:00", "2026-03-07"]
BAD_TS = ["yesterday", "2026-13-01T00:00:00Z", "07/03/2026 16:00"]

cell = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8)
row = st.fixed_dictionaries(
    {
        "customer_id": st.one_of(st.just(""), st.sampled_from(["c1", "c2", "Zoë", "c,4"])),
        "moment_id": st.one_of(st.sampled_from(MOMENTS), st.sampled_from(["nosuch", ""])),
        "occurred_at": st.sampled_from(GOOD_TS + NAIVE_TS + BAD_TS + [""]),
        "score": st.one_of(
            st.integers(-2, 12).map(str), st.sampled_from(["", "3.5", "five", "1e0"])
        ),
        "comment": st.one_of(st.just(""), cell),
    }
)


def oracle(r: dict[str, str]) -> set[str]:
    """The fields that must be reported for a row, by the rules written out plainly."""
    bad = set()
    if not r["customer_id"]:
        bad.add("customer_id")
    if r["moment_id"] not in MOMENTS:
        bad.add("moment_id")
    if r["occurred_at"] not in GOOD_TS:
        bad.add("occurred_at")
    try:
        score = float(r["score"])
    except ValueError:
        bad.add("score")
    else:
        if r["moment_id"] in MOMENTS and not 1 <= score <= 5:
            bad.add("score")
    return bad


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(row, min_size=1, max_size=15))
def test_validator_matches_oracle(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, str]]
) -> None:
    tmp = tmp_path_factory.mktemp("v")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["event_id", "customer_id", "moment_id", "occurred_at", "score", "comment"])
    for n, r in enumerate(rows):
        w.writerow(
            [f"f{n}", r["customer_id"], r["moment_id"], r["occurred_at"], r["score"], r["comment"]]
        )
    path = tmp / "f.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    with moments.open(tmp / "v.duckdb") as ws:
        ws.add_journey(RETAIL)
        report = ws.load(path, "feedback")
        q = ws.quarantine().to_pyarrow().to_pylist()
        stored = {e["event_id"]: e for e in ws.events("feedback").to_pyarrow().to_pylist()}
    by_line: dict[int, set[str]] = {}
    for p in q:
        by_line.setdefault(p["line"], set()).add(p["field"])
    expected_bad = 0
    for n, r in enumerate(rows):
        want = oracle(r)
        assert by_line.get(n + 2, set()) == want, (r, by_line.get(n + 2))
        if want:
            expected_bad += 1
            assert f"f{n}" not in stored
        else:
            got = stored[f"f{n}"]
            assert got["customer_id"] == r["customer_id"]
            assert got["score"] == float(r["score"])
            assert got["comment"] == (r["comment"] or None)
            ts = datetime.fromisoformat(r["occurred_at"].replace("Z", "+00:00"))
            assert got["occurred_at"] == ts
    assert report.quarantined == expected_bad
    assert report.added == len(rows) - expected_bad


@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    ids=st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=10),
    reloads=st.integers(1, 2),
)
def test_appended_events_read_back_exactly_and_reloading_adds_nothing(
    tmp_path_factory: pytest.TempPathFactory, ids: list[str], reloads: int
) -> None:
    tmp = tmp_path_factory.mktemp("r")
    lines = ["event_id,customer_id,moment_id,occurred_at,score"]
    lines += [f"{i},c-{i},greeting,2026-01-0{1 + 'abcd'.index(i)}T10:00:00Z,3" for i in ids]
    path: Path = tmp / "f.csv"
    path.write_text("\n".join(lines) + "\n")
    with moments.open(tmp / "r.duckdb") as ws:
        ws.add_journey(RETAIL)
        first = ws.load(path, "feedback")
        assert first.added == len(set(ids)) and first.duplicates == len(ids) - len(set(ids))
        for _ in range(reloads):
            again = ws.load(path, "feedback")
            assert again.added == 0 and again.duplicates == len(ids)
        stored = ws.events("feedback").order_by("event_id").to_pyarrow().to_pylist()
    assert [s["event_id"] for s in stored] == sorted(set(ids))
    assert all(s["customer_id"] == f"c-{s['event_id']}" for s in stored)


# --- fuzzing: any rows load or are quarantined, or the file is refused — never a crash -----

FEEDBACK = ["event_id", "customer_id", "moment_id", "occurred_at", "score", "comment"]
ANY_CELL = st.one_of(
    st.sampled_from(GOOD_TS + NAIVE_TS + BAD_TS + MOMENTS + ["", "3", "1e999", "NaN", "-0"]),
    st.text(max_size=10),
    ODD_TEXT,
    HUGE.map(str),
)


@pytest.fixture(scope="module")
def fuzz_store(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[moments.Workspace, Path]]:
    folder = tmp_path_factory.mktemp("fuzz")
    with moments.open(folder / "f.duckdb") as ws:
        ws.add_journey(RETAIL)
        yield ws, folder


@settings(FUZZ, max_examples=15)
@given(
    fmt=st.sampled_from(["csv", "jsonl"]),
    header=st.one_of(st.just(FEEDBACK), mutated(FEEDBACK, 1)),
    rows=st.lists(st.lists(st.one_of(ANY_CELL, yamlish(4)), min_size=6, max_size=6), max_size=6),
)
def test_any_rows_are_loaded_quarantined_or_refused_cleanly(
    fuzz_store: tuple[moments.Workspace, Path], fmt: str, header: Any, rows: list[list[Any]]
) -> None:
    ws, folder = fuzz_store
    names = [str(h) for h in header] if isinstance(header, list) else [str(header)]
    path = folder / f"rows-{next(_FILES)}.{fmt}"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerows([names, *rows])
        path.write_text(buf.getvalue(), encoding="utf-8", errors="surrogatepass")
    else:
        lines = [json.dumps(dict(zip(names, r, strict=False))) for r in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = clean(lambda: ws.load(path, "feedback"), str(path))
    if isinstance(report, LoadReport):
        assert report.added + report.duplicates + report.quarantined == report.rows_read


_FILES = itertools.count()
