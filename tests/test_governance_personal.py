"""A customer's personal data: everything about them exported, and erased with the counts kept."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import moments
from moments.access.roles import Principal
from moments.errors import Forbidden, NotFound
from moments.frontline import cases
from moments.governance.personal import PERSONAL_FIELDS, customer_ref
from moments.store.schema import TABLES
from tests.conftest import INTERACTIONS_CSV, write
from tests.spark import spark_root as spark_root
from tests.spark import spark_url

PROFILES_CSV = """\
event_id,customer_id,occurred_at,segment,email,phone,time_zone
p1,c1,2026-01-01T00:00:00+00:00,loyal,ann@example.com,+44 20 7946 0001,Europe/London
p10,c10,2026-01-01T00:00:00+00:00,new,ben@example.com,+44 20 7946 0010,Europe/London
"""
INTERACTIONS_HEADER = INTERACTIONS_CSV.splitlines(keepends=True)[0]
COMMENTS_CSV = """\
event_id,customer_id,occurred_at,text,interaction_id,moment_id
k1,c1,2026-03-07T17:00:00+00:00,Ann here: the queue was awful,i1,checkout
"""
# line 2: a bad score, about c1's event; line 3: about c10 (whose id contains "c1")
BAD_FEEDBACK_CSV = """\
event_id,customer_id,moment_id,occurred_at,score,interaction_id,comment
fb-c1-9,c1,greeting,2026-03-07T16:00:00+00:00,lots,i2,call me on 0123
fb-c10-9,c10,greeting,2026-03-07T16:00:00+00:00,lots,,hi
"""


def _tables(ws: moments.Workspace) -> dict[str, pd.DataFrame]:
    return {t: ws.store.table(t).to_pandas() for t in TABLES if t not in ("audit", "loads")}


def _mentions(frames: dict[str, pd.DataFrame], customer_id: str) -> list[str]:
    """Where the customer's id appears as a whole token in any text of any table."""
    token = re.compile(rf"(?<![A-Za-z0-9]){re.escape(customer_id)}(?![A-Za-z0-9])")
    found = []
    for name, df in frames.items():
        for col in df.columns:
            for v in df[col]:
                if isinstance(v, str) and token.search(v):
                    found.append(f"{name}.{col}={v}")
    return found


@pytest.fixture
def rich(ws: moments.Workspace, small: dict[str, Path], tmp_path: Path) -> moments.Workspace:
    """The small files plus profiles, a comment, quarantined answers and a case for c1."""
    for kind, path in small.items():
        ws.load(path, kind)
    ws.load(write(tmp_path / "profiles.csv", PROFILES_CSV), "customer")
    ws.load(write(tmp_path / "comments.csv", COMMENTS_CSV), "comment")
    report = ws.load(write(tmp_path / "bad.csv", BAD_FEEDBACK_CSV), "feedback")
    assert report.quarantined == 2
    at = datetime(2026, 3, 8, 9, tzinfo=UTC)
    cases.open_case(ws, "c1", "checkout", "Ann said the queue was awful", at=at)
    ws.judge()
    return ws


def test_export_then_erasure_keeps_every_count_and_leaves_no_trace(
    rich: moments.Workspace,
) -> None:
    data = rich.customer_data("c1")
    assert {r["event_id"] for r in data["interactions"]} == {"i1", "i2"}
    assert [r["event_id"] for r in data["feedback"]] == ["f1"]
    assert [r["text"] for r in data["comments"]] == ["Ann here: the queue was awful"]
    assert data["customers"][0]["email"] == "ann@example.com"
    assert {r["lived_id"] for r in data["judgements"]} == {"i1", "i2"}
    assert {r["event_id"] for r in data["measures"]} == {"i1", "i2"}
    assert [r["event_id"] for r in data["quarantine"]] == ["fb-c1-9"]  # not c10's
    assert data["cases"][0]["note"] == "Ann said the queue was awful"
    assert data["interactions"][0]["occurred_at"].startswith("2026-03-07T")
    assert json.loads(json.dumps(data)) == data
    assert rich.customer_data("nobody") == {}
    # the export is in the audit log, naming the customer by a keyed hash only
    last = rich.audit(action="customer.export").to_pyarrow().to_pylist()
    refs = [customer_ref(rich.store, "nobody"), customer_ref(rich.store, "c1")]
    assert [e["target"] for e in last] == refs
    assert json.loads(last[1]["detail"])["interactions"] == 2
    leader = rich.scoped(Principal("lea", "cx_leader"))  # only an admin exports or erases
    with pytest.raises(Forbidden):
        leader.erase_customer("c1")
    with pytest.raises(Forbidden):
        leader.customer_data("c1")
    # a text judgement quoting the customer's words: they go, valence and source stay
    j = rich.store.table("judgements")
    (row,) = j.filter(j.lived_id == "i1").to_pyarrow().to_pylist()
    row.update(source="text", valence="negative", score=-1, reason="negative ('awful')")
    rich.store.delete_in("judgements", "lived_id", ["i1"])
    rich.store.append("judgements", pa.Table.from_pylist([row], TABLES["judgements"].to_pyarrow()))

    before = {t: n for t, n in rich.store.sizes().items() if t not in ("audit", "meta")}
    card = rich.scorecard(["moment", "segment"]).to_pandas()
    totals = rich.totals().to_pandas()
    per_customer = rich.customers().to_pandas()

    touched = rich.erase_customer("c1")

    assert touched == {
        "interactions": 2,
        "feedback": 1,
        "comments": 1,
        "cases": 1,
        "customers": 1,
        "judgements": 2,
        "measures": 2,
        "quarantine": 1,
    }
    after = {t: n for t, n in rich.store.sizes().items() if t not in ("audit", "meta")}
    assert after == before
    key = ["moment_id", "segment"]
    pd.testing.assert_frame_equal(
        card.sort_values(key).reset_index(drop=True),
        rich.scorecard(["moment", "segment"]).to_pandas().sort_values(key).reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(totals, rich.totals().to_pandas())
    now = rich.customers().to_pandas()
    assert len(now) == len(per_customer)
    per_id = ["lived", "judged", "negative", "neutral", "positive", "unknown", "net"]
    assert sorted(map(tuple, now[per_id].to_numpy().tolist())) == sorted(
        map(tuple, per_customer[per_id].to_numpy().tolist())
    )

    frames = _tables(rich)
    assert _mentions(frames, "c1") == []
    assert _mentions(frames, "c10")  # the other customer is untouched
    assert rich.customer_data("c1") == {}
    # one pseudonym, everywhere the customer was
    ids = {
        v
        for name in ("interactions", "feedback", "comments", "cases", "customers", "judgements")
        for v in frames[name].customer_id
        if v.startswith("erased-")
    }
    assert len(ids) == 1
    (pseudonym,) = ids
    for name, fields in PERSONAL_FIELDS.items():
        mine = frames[name][frames[name].customer_id == pseudonym]
        for field, blank in fields.items():
            assert all(v == blank or pd.isna(v) for v in mine[field]), (name, field)
    q = frames["quarantine"]
    assert q[q.event_id == "fb-c10-9"].value.notna().all()  # not theirs: kept as it was
    assert q.value.isna().sum() == 1
    (text,) = frames["judgements"][frames["judgements"].source == "text"].to_dict("records")
    assert (text["customer_id"], text["valence"], text["reason"]) == (
        pseudonym,
        "negative",
        "negative ('…')",
    )
    # the audit entry names neither the id nor anything personal
    (entry,) = rich.audit(action="customer.erase").to_pyarrow().to_pylist()
    assert entry["target"] == customer_ref(rich.store, "c1")
    assert json.loads(entry["detail"]) == touched
    assert not _mentions({"audit": rich.store.table("audit").to_pandas()}, "c1")
    with pytest.raises(NotFound, match=r"no customer 'c1'.*erased before is gone"):
        rich.erase_customer("c1")
    with pytest.raises(NotFound, match="erased already"):
        rich.erase_customer(pseudonym)


def test_a_failed_erasure_changes_nothing(
    loaded: moments.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import moments.governance.personal as personal

    before = _tables(loaded)

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("audit write failed")

    monkeypatch.setattr(personal, "record", broken)
    with pytest.raises(RuntimeError, match="audit write failed"):
        loaded.erase_customer("c1")
    after = _tables(loaded)
    for name, df in before.items():
        key = list(df.columns)
        pd.testing.assert_frame_equal(
            df.sort_values(key).reset_index(drop=True),
            after[name].sort_values(key).reset_index(drop=True),
            check_dtype=False,
        )


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from moments.demo.build import build_demo

    path = tmp_path_factory.mktemp("erase") / "demo.duckdb"
    ws, _ = build_demo(path, customers=150)  # fewer makes no demo cases
    ws.close()
    return path


@pytest.fixture(scope="module")
def demo_customers(small_demo: Path) -> list[str]:
    with moments.open(small_demo, create=False) as ws:
        return sorted(ws.events("customer").customer_id.to_pyarrow().to_pylist())


def _figures(ws: moments.Workspace) -> dict[str, pd.DataFrame]:
    key = ["moment_id", "segment"]
    return {
        "scorecard": ws.scorecard(["moment", "segment"])
        .to_pandas()
        .sort_values(key)
        .reset_index(drop=True),
        "totals": ws.totals().to_pandas(),
        "trend": ws.trend(period="month").to_pandas().sort_values("month").reset_index(drop=True),
        "customers": ws.customers()
        .to_pandas()
        .drop(columns="customer_id")
        .sort_values(["lived", "negative", "positive", "neutral", "weakest_moment"])
        .reset_index(drop=True),
    }


@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_erasing_any_customer_keeps_every_figure(
    data: st.DataObject, small_demo: Path, demo_customers: list[str], tmp_path: Path
) -> None:
    customer = data.draw(st.sampled_from(demo_customers))
    copy = tmp_path / f"copy-{customer}.duckdb"
    shutil.copy(small_demo, copy)
    with moments.open(copy, create=False) as ws:
        before = _figures(ws)
        touched = ws.erase_customer(customer)
        assert touched["customers"] >= 1
        after = _figures(ws)
        for name, frame in before.items():
            pd.testing.assert_frame_equal(frame, after[name], obj=name)
        assert ws.customer_data(customer) == {}
    copy.unlink()


def test_on_spark_erasure_keeps_the_counts_and_is_logged(
    loaded: moments.Workspace, small: dict[str, Path], spark_root: Path
) -> None:
    with moments.open(spark_url(spark_root, "erase")) as ws:
        with ws.store.transaction():  # the small store's rows, as they are
            for name in (
                "journeys",
                "moments",
                "interactions",
                "feedback",
                "judgements",
                "measures",
            ):
                ws.store.append(name, loaded.store.table(name).to_pyarrow())
        j = ws.judgements()
        valences = j.group_by("valence").agg(n=j.count()).order_by("valence")
        before = valences.to_pyarrow()
        assert ws.erase_customer("c1") == {
            "interactions": 2,
            "feedback": 1,
            "judgements": 2,
            "measures": 2,
        }
        assert valences.to_pyarrow() == before
        erased = j.filter(j.customer_id.startswith("erased-")).customer_id
        assert len(set(erased.to_pyarrow().to_pylist())) == 1  # one pseudonym for both
        (entry,) = ws.audit(action="customer").to_pyarrow().to_pylist()
        assert (entry["action"], entry["target"]) == (
            "customer.erase",
            customer_ref(ws.store, "c1"),
        )
        again = ws.load(small["interaction"], "interaction")  # c1's two are refused
        assert (again.added, again.duplicates, again.quarantined) == (0, 4, 2)


def test_loads_refuse_an_erased_customer_and_keep_none_of_their_values(
    rich: moments.Workspace, small: dict[str, Path], tmp_path: Path
) -> None:
    assert rich.load(small["interaction"], "interaction").added == 0  # nobody erased: all there
    rich.erase_customer("c1")
    before = rich.store.sizes()

    again = rich.load(small["interaction"], "interaction")
    profiles = rich.load(write(tmp_path / "profiles.csv", PROFILES_CSV), "customer")
    fresh = rich.load(
        write(
            tmp_path / "new.csv",
            INTERACTIONS_HEADER
            + "n1,c1,checkout,2026-04-01T10:00:00+00:00,store,e1,store-a,40,\n"
            + "n2,c10,checkout,2026-04-01T11:00:00+00:00,store,e1,store-a,40,\n",
        ),
        "interaction",
    )

    # c1's two interactions are refused, c2's and c3's are still duplicates
    assert (again.rows_read, again.added, again.duplicates, again.quarantined) == (6, 0, 4, 2)
    assert (profiles.added, profiles.duplicates, profiles.quarantined) == (0, 1, 1)
    assert (fresh.added, fresh.quarantined) == (1, 1)  # c10 is someone else
    assert [p.line for p in fresh.problems] == [2]
    assert "erased on request" in fresh.problems[0].what
    q = rich.store.table("quarantine")
    refused = q.filter(q.reason.contains("erased on request")).to_pandas()
    assert sorted(refused.line) == [2, 2, 2, 3]  # the file, the profiles, the new one
    assert refused.value.isna().all() and refused.event_id.isna().all()
    assert refused.field.eq("customer_id").all()
    sizes = rich.store.sizes()
    assert sizes["interactions"] == before["interactions"] + 1
    assert sizes["customers"] == before["customers"]
    assert _mentions(_tables(rich), "c1") == []
    assert rich.customer_data("c1") == {}
