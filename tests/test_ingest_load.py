"""Loading files: what is added, what is a duplicate, what is quarantined and why."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import moments
from moments.errors import InputError
from tests.conftest import FEEDBACK_CSV, INTERACTIONS_CSV, RETAIL, write

HEAD = "event_id,customer_id,moment_id,occurred_at,score,interaction_id,comment\n"


def _quarantine(ws: moments.Workspace) -> list[tuple[int, str | None, str]]:
    rows = ws.quarantine().order_by(["line", "field"]).to_pyarrow().to_pylist()
    return [(r["line"], r["field"], r["reason"]) for r in rows]


def test_load_reports_added(ws: moments.Workspace, small: dict[str, Path]) -> None:
    r = ws.load(small["interaction"], "interaction")
    assert (r.rows_read, r.added, r.duplicates, r.quarantined) == (6, 6, 0, 0)
    assert r.ok
    assert ws.store.count("interactions") == 6
    assert ws.store.count("measures") == 5  # i5 has no measure
    loads = ws.loads().to_pyarrow().to_pylist()
    assert loads[0]["added"] == 6 and loads[0]["file"] == str(small["interaction"])


def test_reload_adds_nothing(ws: moments.Workspace, small: dict[str, Path]) -> None:
    ws.load(small["interaction"], "interaction")
    again = ws.load(small["interaction"], "interaction")
    assert (again.added, again.duplicates, again.quarantined) == (0, 6, 0)
    assert ws.store.count("interactions") == 6 and ws.store.count("measures") == 5


def test_same_id_different_content_is_quarantined_not_overwritten(
    ws: moments.Workspace, small: dict[str, Path], tmp_path: Path
) -> None:
    ws.load(small["interaction"], "interaction")
    changed = INTERACTIONS_CSV.replace(
        "i3,c2,checkout,2026-03-07T15:05:00Z,store,e2,store-a,300",
        "i3,c2,checkout,2026-03-07T15:05:00Z,store,e2,store-a,30",
    )
    r = ws.load(write(tmp_path / "changed.csv", changed), "interaction")
    assert (r.added, r.duplicates, r.quarantined) == (0, 5, 1)
    assert "already stored with different content" in r.problems[0].what
    assert r.problems[0].line == 4
    stored = ws.store.table("measures").filter(lambda t: t.event_id == "i3")
    assert stored.value.to_pyarrow().to_pylist() == [300.0]


def test_repeat_inside_one_file(ws: moments.Workspace, tmp_path: Path) -> None:
    f = write(
        tmp_path / "f.csv",
        HEAD
        + "f1,c1,greeting,2026-03-07T16:00:00Z,5,,\n"
        + "f1,c1,greeting,2026-03-07T16:00:00Z,5,,\n"
        + "f1,c1,greeting,2026-03-07T16:00:00Z,4,,\n",
    )
    r = ws.load(f, "feedback")
    assert (r.rows_read, r.added, r.duplicates, r.quarantined) == (3, 1, 1, 1)
    assert "appears again with different content (first at line 2)" in r.problems[0].what
    assert r.problems[0].line == 4


def test_bad_rows_quarantined_good_rows_loaded(ws: moments.Workspace, tmp_path: Path) -> None:
    f = write(
        tmp_path / "f.csv",
        HEAD
        + "f1,c1,greeting,2026-03-07T16:00:00Z,5,,ok\n"
        + "f2,c1,greeting,2026-03-07T16:00:00Z,11,,\n"  # outside 1–5
        + "f3,c1,nosuch,2026-03-07T16:00:00Z,3,,\n"  # unknown moment
        + "f4,c1,greeting,2026-03-07 16:00:00,3,,\n"  # no time zone
        + "f5,c1,greeting,yesterday,3,,\n"  # not a timestamp
        + "f6,,greeting,2026-03-07T16:00:00Z,three,,\n"  # missing customer, not a number
        + "f7,c2,checkout,2026-03-07T16:00:00+02:00,2,,fine\n",
    )
    r = ws.load(f, "feedback")
    assert (r.rows_read, r.added, r.quarantined) == (7, 2, 5)
    q = _quarantine(ws)
    assert q[0] == (3, "score", "score 11 is outside the scale 1–5 of moment 'greeting'")
    assert q[1][:2] == (4, "moment_id") and "unknown moment id 'nosuch'" in q[1][2]
    assert q[2][:2] == (5, "occurred_at") and "has no time zone" in q[2][2]
    assert q[3] == (6, "occurred_at", "'yesterday' is not an ISO 8601 timestamp")
    assert q[4] == (7, "customer_id", "is missing")
    assert q[5] == (7, "score", "'three' is not a number")  # every problem of a row is kept
    raw = ws.quarantine().to_pyarrow().to_pylist()
    assert {r["value"] for r in raw if r["field"] == "score"} == {"11", "three"}
    assert all(
        r["file"] == str(f) and r["load_id"] == r_id for r in raw for r_id in [raw[0]["load_id"]]
    )
    stored = ws.events("feedback").order_by("event_id").to_pyarrow().to_pylist()
    assert [s["event_id"] for s in stored] == ["f1", "f7"]
    assert str(stored[1]["occurred_at"]) == "2026-03-07 14:00:00+00:00"  # converted to UTC


def test_timezone_option_interprets_naive_timestamps(ws: moments.Workspace, tmp_path: Path) -> None:
    f = write(
        tmp_path / "f.csv",
        HEAD
        + "f1,c1,greeting,2026-07-01 16:00:00,5,,\n"
        + "f2,c1,greeting,2026-01-15T16:00:00,5,,\n",
    )
    r = ws.load(f, "feedback", timezone="Europe/London")
    assert r.added == 2
    got = ws.events("feedback").order_by("event_id").occurred_at.to_pyarrow().to_pylist()
    assert [str(t) for t in got] == ["2026-07-01 15:00:00+00:00", "2026-01-15 16:00:00+00:00"]


def test_half_written_csv_keeps_good_lines(ws: moments.Workspace, tmp_path: Path) -> None:
    text = INTERACTIONS_CSV + "i7,c4,checkout,2026-03-08T10:30"  # cut mid-line
    r = ws.load(write(tmp_path / "cut.csv", text), "interaction")
    assert (r.added, r.quarantined) == (6, 1)
    assert r.problems[0].line == 8 and "fewer than the 9 columns" in r.problems[0].what


def test_unterminated_quote_is_reported_where_it_starts(
    ws: moments.Workspace, tmp_path: Path
) -> None:
    text = FEEDBACK_CSV + 'f4,c1,greeting,2026-03-07T16:00:00Z,3,,"never closed\n'
    r = ws.load(write(tmp_path / "q.csv", text), "feedback")
    assert r.added == 3 and r.quarantined == 1
    assert r.problems[0].line == 5 and "malformed CSV" in r.problems[0].what


def test_multiline_quoted_field_keeps_true_line_numbers(
    ws: moments.Workspace, tmp_path: Path
) -> None:
    text = (
        HEAD
        + 'f1,c1,greeting,2026-03-07T16:00:00Z,5,,"two\nlines"\n'
        + "f2,c1,greeting,2026-03-07T16:00:00Z,9,,\n"
    )
    ws.load(write(tmp_path / "m.csv", text), "feedback")
    assert _quarantine(ws)[0][0] == 4
    assert ws.events("feedback").comment.to_pyarrow().to_pylist() == ["two\nlines"]


def test_wrong_columns_fail_whole_file_with_advice(ws: moments.Workspace, tmp_path: Path) -> None:
    f = write(tmp_path / "w.csv", "id,cust,when,rating\n1,c1,2026-01-01T00:00:00Z,5\n")
    with pytest.raises(InputError) as e:
        ws.load(f, "feedback")
    text = str(e.value)
    assert "unexpected column 'cust'" in text and "--map" in text and "--ignore" in text
    assert "no column for required field 'event_id'" in text
    assert all(p.file == str(f) and p.line == 1 for p in e.value.problems)
    assert ws.store.count("feedback") == 0 and ws.store.count("loads") == 0


def test_mapping_and_ignore(ws: moments.Workspace, tmp_path: Path) -> None:
    f = write(
        tmp_path / "export.csv",
        "Response ID,Customer,Moment,Submitted,Rating,Browser\n"
        "r1,c1,greeting,2026-01-01T09:00:00Z,4,Firefox\n",
    )
    r = ws.load(
        f,
        "feedback",
        ignore=["Browser"],
        mapping={
            "Response ID": "event_id",
            "Customer": "customer_id",
            "Moment": "moment_id",
            "Submitted": "occurred_at",
            "Rating": "score",
        },
    )
    assert r.added == 1
    with pytest.raises(InputError, match="names column 'Nope'"):
        ws.load(f, "feedback", mapping={"Nope": "event_id"})


def test_unknown_measure_column_is_explained(ws: moments.Workspace, tmp_path: Path) -> None:
    f = write(
        tmp_path / "i.csv",
        "event_id,customer_id,moment_id,occurred_at,wait_secs\n"
        "a,c1,checkout,2026-01-01T09:00:00Z,3\n",
    )
    with pytest.raises(InputError, match=r"declared measures are: .*queue_seconds"):
        ws.load(f, "interaction")


def test_jsonl_with_a_broken_line(ws: moments.Workspace, tmp_path: Path) -> None:
    rows = [
        {
            "event_id": "f1",
            "customer_id": "c1",
            "moment_id": "greeting",
            "occurred_at": "2026-03-07T16:00:00Z",
            "score": 5,
        },
        {
            "event_id": "f2",
            "customer_id": "c1",
            "moment_id": "greeting",
            "occurred_at": "2026-03-07T16:00:00Z",
            "score": 2.0,
            "comment": "meh",
        },
    ]
    text = "\n".join(json.dumps(r) for r in rows) + '\n[1, 2]\n\n{"event_id": "f3", "cust'
    r = ws.load(write(tmp_path / "f.jsonl", text), "feedback")
    assert (r.rows_read, r.added, r.quarantined) == (4, 2, 2)
    lines = sorted(p.line for p in r.problems)
    assert lines == [3, 5]
    assert any("cut short" in p.what for p in r.problems)


def test_parquet_typed_columns(ws: moments.Workspace, tmp_path: Path) -> None:
    t = pa.table(
        {
            "event_id": ["p1", "p2"],
            "customer_id": ["c1", "c2"],
            "moment_id": ["checkout", "checkout"],
            "occurred_at": pa.array(
                [1_772_000_000_000_000, 1_772_000_100_000_000], pa.timestamp("us", tz="UTC")
            ),
            "queue_seconds": pa.array([10, 500], pa.int32()),
        }
    )
    pq.write_table(t, tmp_path / "i.parquet")
    r = ws.load(tmp_path / "i.parquet", "interaction")
    assert (r.added, r.quarantined) == (2, 0)
    ws.judge()
    v = {x["lived_id"]: x["valence"] for x in ws.judgements().to_pyarrow().to_pylist()}
    assert v == {"p1": "positive", "p2": "negative"}


def test_parquet_naive_timestamps_need_a_zone(ws: moments.Workspace, tmp_path: Path) -> None:
    t = pa.table(
        {
            "event_id": ["p1"],
            "customer_id": ["c1"],
            "moment_id": ["checkout"],
            "occurred_at": pa.array([1_772_000_000_000_000], pa.timestamp("us")),
        }
    )
    pq.write_table(t, tmp_path / "n.parquet")
    r = ws.load(tmp_path / "n.parquet", "interaction")
    assert r.quarantined == 1 and not r.ok and "no time zone" in r.problems[0].what
    r2 = ws.load(tmp_path / "n.parquet", "interaction", timezone="UTC")
    assert r2.added == 1


def test_half_written_parquet(ws: moments.Workspace, tmp_path: Path) -> None:
    t = pa.table({"event_id": [f"p{i}" for i in range(1000)]})
    pq.write_table(t, tmp_path / "full.parquet")
    data = (tmp_path / "full.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="half-written"):
        ws.load(tmp_path / "cut.parquet", "interaction")


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("empty.csv", "", "the file is empty"),
        ("x.xlsx", "whatever", "cannot tell the file's format"),
        ("dup.csv", "event_id,event_id\n1,2\n", "column 'event_id' appears twice"),
        ("latin.csv", None, "cannot decode the text as utf-8-sig"),
    ],
)
def test_unreadable_files(
    ws: moments.Workspace, tmp_path: Path, name: str, content: str | None, match: str
) -> None:
    p = tmp_path / name
    if content is None:
        p.write_bytes(
            HEAD.encode() + "f1,c1,greeting,2026-01-01T00:00:00Z,5,,Café\n".encode("latin-1")
        )
    else:
        p.write_text(content)
    with pytest.raises(InputError, match=match):
        ws.load(p, "feedback")


def test_encoding_option(ws: moments.Workspace, tmp_path: Path) -> None:
    p = tmp_path / "latin.csv"
    p.write_bytes(
        (HEAD + "f1,c1,greeting,2026-01-01T00:00:00Z,5,,Café très bien\n").encode("latin-1")
    )
    assert ws.load(p, "feedback", encoding="latin-1").added == 1
    assert ws.events("feedback").comment.to_pyarrow().to_pylist() == ["Café très bien"]


def test_semicolon_delimiter_is_sniffed(ws: moments.Workspace, tmp_path: Path) -> None:
    p = write(
        tmp_path / "semi.csv",
        HEAD.replace(",", ";") + "f1;c1;greeting;2026-01-01T00:00:00Z;5;;a, b and c\n",
    )
    assert ws.load(p, "feedback").added == 1


def test_unknown_kind(ws: moments.Workspace, small: dict[str, Path]) -> None:
    with pytest.raises(InputError, match="unknown kind of event 'feedbacks'"):
        ws.load(small["feedback"], "feedbacks")


def test_a_failed_load_leaves_nothing_half_written(
    ws: moments.Workspace, small: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from moments.store import Store

    real = Store.append
    calls = {"n": 0}

    def failing_append(self: Store, name: str, obj: object) -> None:
        calls["n"] += 1
        if name == "measures":
            raise OSError("disk full")
        real(self, name, obj)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "append", failing_append)
    with pytest.raises(OSError, match="disk full"):
        ws.load(small["interaction"], "interaction")
    monkeypatch.setattr(Store, "append", real)
    assert ws.store.count("interactions") == 0 and ws.store.count("loads") == 0
    assert ws.load(small["interaction"], "interaction").added == 6


def test_all_event_kinds_load(ws: moments.Workspace, tmp_path: Path) -> None:
    files = {
        "comment": "event_id,customer_id,occurred_at,text,interaction_id,moment_id,channel\n"
        "k1,c1,2026-01-01T00:00:00Z,Great,,checkout,store\n",
        "outcome": "event_id,customer_id,occurred_at,type,amount,rating,text,location_id\n"
        "o1,c1,2026-01-01T00:00:00Z,purchase,59.90,,,store-a\n"
        "o2,c1,2026-01-01T00:00:00Z,refund,1,,,\n",
        "case": "event_id,case_id,customer_id,occurred_at,status,moment_id,owner_id\n"
        "x1,k1,c1,2026-01-01T00:00:00Z,opened,checkout,store-ops\n",
        "customer": "event_id,customer_id,occurred_at,segment,email,phone,time_zone\n"
        "p1,c1,2026-01-01T00:00:00Z,loyal,a@example.com,+44 20 7946 0000,Europe/London\n",
        "contact": "event_id,customer_id,occurred_at,channel,direction,purpose\n"
        "t1,c1,2026-01-01T00:00:00Z,email,outbound,service recovery\n",
    }
    for kind, text in files.items():
        r = ws.load(write(tmp_path / f"{kind}.csv", text), kind)
        assert r.added >= 1, (kind, r.problems)
    assert "'refund' is not one of: purchase" in _quarantine(ws)[0][2]


def test_append_rows_from_memory(ws: moments.Workspace) -> None:
    from datetime import UTC, datetime

    when = datetime(2026, 3, 7, 16, 0, tzinfo=UTC)
    rows = [
        {
            "event_id": "m1",
            "customer_id": "c1",
            "moment_id": "greeting",
            "occurred_at": when,
            "score": 5.0,
        },
        {
            "event_id": "m2",
            "customer_id": "c1",
            "moment_id": "greeting",
            "occurred_at": when,
            "score": 9.0,
        },
    ]
    r = ws.append("feedback", rows, source="survey form")
    assert (r.rows_read, r.added, r.quarantined) == (2, 1, 1)
    assert r.problems[0].line == 2 and r.problems[0].file == "survey form"
    assert "outside the scale 1–5" in r.problems[0].what
    again = ws.append("feedback", rows[:1])
    assert (again.added, again.duplicates) == (0, 1)
    with pytest.raises(InputError, match="no rows to load"):
        ws.append("feedback", [])


def test_appended_rows_keep_fields_the_first_row_lacks(ws: moments.Workspace) -> None:
    from datetime import UTC, datetime

    when = datetime(2026, 3, 7, 16, 0, tzinfo=UTC)
    base = {"customer_id": "c1", "moment_id": "checkout", "occurred_at": when}
    r = ws.append(
        "interaction",
        [{"event_id": "a1", **base}, {"event_id": "a2", **base, "queue_seconds": 30.0}],
    )
    assert r.added == 2, r.problems
    m = ws.store.table("measures").to_pyarrow().to_pylist()
    assert m == [{"event_id": "a2", "name": "queue_seconds", "value": 30.0}]


def test_a_load_killed_midway_leaves_all_or_nothing_and_loads_again(tmp_path: Path) -> None:
    """kill -9 during ``moments load``: the store opens, holds none or all of the file, and
    loading the file again leaves exactly its events (benchmarks/crash_loads.py: 20 trials)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from moments.demo.generator import generate

    file = generate(seed=3, customers=1500).write(tmp_path / "events", "parquet")["interaction"]
    want = pq.ParquetFile(file).metadata.num_rows
    db = tmp_path / "store.duckdb"
    with moments.open(db) as ws:
        ws.add_journey(RETAIL)
    cmd = [sys.executable, "-m", "moments.cli.app", "load", str(file), "--kind", "interaction",
           "--db", str(db)]  # fmt: skip
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)  # a whole load, to time it
    took = time.perf_counter() - t0
    with moments.open(db) as ws:  # empty again, the journey kept
        ws.store.clear("interactions")
        ws.store.clear("measures")
        ws.store.clear("loads")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.8 * took)  # most of a load is the work after Python has started
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with moments.open(db, create=False) as ws:
        n, loads = ws.store.count("interactions"), ws.store.count("loads")
    assert (n, loads) in ((0, 0), (want, 1))
    subprocess.run(cmd, check=True, capture_output=True)
    with moments.open(db, create=False) as ws:
        ids = ws.events("interaction").event_id
        assert ws.store.count("interactions") == want
        assert ids.nunique().to_pyarrow().as_py() == want


# ids that sort far apart, close together, as prefixes of each other, and outside ASCII
ID = st.sampled_from(["a", "a1", "a10", "a2", "b", "b-0001", "b-0002", "z", "é", "Ω-1", "0", "_"])


@settings(max_examples=25, deadline=None)
@given(batches=st.lists(st.lists(ID, min_size=1, max_size=6, unique=True), min_size=1, max_size=4))
def test_each_load_adds_exactly_the_ids_not_stored_yet(batches: list[list[str]]) -> None:
    """Repeats are looked for among stored ids in the batch's own range: whatever the ranges
    of the batches, every new id is added once and every stored one counted as a duplicate."""
    when = datetime(2026, 3, 7, 16, 0, tzinfo=UTC)
    seen: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp, moments.open(Path(tmp) / "p.duckdb") as ws:
        ws.add_journey(RETAIL)
        for batch in batches:
            rows = [
                {"event_id": i, "customer_id": "c1", "moment_id": "greeting", "occurred_at": when}
                for i in batch
            ]
            r = ws.append("feedback", [{**row, "score": 4.0} for row in rows])
            new = set(batch) - seen
            assert (r.added, r.duplicates, r.quarantined) == (len(new), len(batch) - len(new), 0)
            seen |= new
        stored = ws.store.table("feedback").event_id.to_pyarrow().to_pylist()
    assert sorted(stored) == sorted(seen)
