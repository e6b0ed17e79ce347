"""The customer card on a real demo store: each part agrees with the library's own analyses."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import moments
from moments.analytics import risk as risk_mod
from moments.cli.app import app
from moments.errors import NotFound
from moments.frontline import card as card_mod
from moments.frontline import cases
from moments.frontline.context import context
from moments.store.export import export_store
from tests.postgres import new_database
from tests.postgres import postgres_url as postgres_url  # the session fixture
from tests.web_server import open_store


@pytest.fixture(scope="module")
def card_ws(
    analytics_demo: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[moments.Workspace]:
    """A copy of the session's demo store: these tests write cases, contacts and indexes."""
    path = tmp_path_factory.mktemp("frontline-card") / "demo.duckdb"
    shutil.copyfile(analytics_demo, path)
    w = open_store(path)
    yield w
    w.close()


@pytest.fixture(scope="module")
def judged(card_ws: moments.Workspace) -> pd.DataFrame:
    return card_ws.judgements().to_pandas()


@pytest.fixture(scope="module")
def scores(card_ws: moments.Workspace) -> pd.DataFrame:
    ctx = context(card_ws)
    assert ctx.risk_model is not None, ctx.risk_note
    return risk_mod.score(
        ctx.risk_model, card_ws.judgements(), card_ws.events("outcome")
    ).set_index("customer_id")


def some_customers(scores: pd.DataFrame, n: int = 12) -> list[str]:
    """Customers across the risk range, the riskiest first."""
    ids = list(scores.index)
    step = max(len(ids) // n, 1)
    return ids[::step][:n]


def test_the_card_agrees_with_the_store_and_the_risk_analysis(
    card_ws: moments.Workspace, judged: pd.DataFrame, scores: pd.DataFrame
) -> None:
    profiles = card_ws.profiles().to_pandas().set_index("customer_id")
    for cid in some_customers(scores):
        c = card_mod.build_card(card_ws, cid)
        mine = judged[judged.customer_id == cid].sort_values(
            ["occurred_at", "lived_id"], ascending=False
        )
        assert c.lived == len(mine)
        assert [x.lived_id for x in c.timeline] == list(mine.lived_id[: card_mod.TIMELINE])
        assert [x.valence for x in c.timeline] == list(mine.valence[: card_mod.TIMELINE])
        assert all(x.reason for x in c.timeline)  # every judgement explained
        assert c.profile.email == profiles.loc[cid, "email"]
        assert c.profile.segment == profiles.loc[cid, "segment"]
        row = scores.loc[cid]
        assert c.risk.method == "model" and c.risk.band == row["band"]
        assert c.risk.probability == pytest.approx(row["risk"], rel=1e-9)
        assert "; ".join(c.risk.reasons) == row["reasons"]
        assert c.weakest is not None and c.weakest.moment_id == row["weakest_moment"]


def test_likely_next_moments_are_what_similar_customers_did_next(
    card_ws: moments.Workspace, judged: pd.DataFrame, scores: pd.DataFrame
) -> None:
    j = judged.sort_values(["customer_id", "occurred_at", "lived_id"])
    j["next"] = j.groupby("customer_id").moment_id.shift(-1)
    for cid in some_customers(scores, 4):
        c = card_mod.build_card(card_ws, cid)
        last = c.timeline[0]
        similar = j[(j.moment_id == last.moment_id) & (j.valence == last.valence)]
        counts = Counter(None if pd.isna(n) else n for n in similar["next"])
        top = sorted(counts.items(), key=lambda x: (-x[1], x[0] or ""))[:3]
        assert [(n.moment_id, n.customers) for n in c.next_moments] == top
        assert sum(n.share for n in c.next_moments) <= 1 + 1e-9
        assert f"({len(similar):,} of them)" in c.next_basis


def test_search_by_id_email_and_phone(card_ws: moments.Workspace) -> None:
    p = card_ws.profiles().order_by("customer_id").limit(1).to_pyarrow().to_pylist()[0]
    national = "0" + p["phone"].replace("+44", "").replace(" ", "")
    for q in (p["customer_id"], p["email"].upper(), p["phone"], national):
        assert [x.customer_id for x in card_mod.find(card_ws, q)] == [p["customer_id"]], q
    assert card_mod.card_for(card_ws, p["email"]).customer_id == p["customer_id"]
    assert card_mod.find(card_ws, "nobody@example.org") == []


def test_an_unknown_customer_says_what_to_check(card_ws: moments.Workspace) -> None:
    with pytest.raises(NotFound) as e:
        card_mod.build_card(card_ws, "c-no-such")
    assert "no customer 'c-no-such'" in str(e.value)
    assert "check the customer id, e-mail or phone number" in str(e.value)
    with pytest.raises(NotFound, match=r"no customer 'x@y\.z'"):
        card_mod.card_for(card_ws, "x@y.z")
    with pytest.raises(NotFound, match="no moment 'nowhere'"):
        card_mod.build_card(card_ws, "c-no-such", moment_id="nowhere")


def test_the_prepared_query_returns_what_ibis_returns(
    card_ws: moments.Workspace, scores: pd.DataFrame
) -> None:
    def key(r: dict[str, object]) -> tuple[str, ...]:
        return tuple(str(r[k]) for k in ("part", "at", "k", "a", "b", "c", "d", "e", "f", "g", "h"))

    for cid in some_customers(scores, 3):
        prepared = card_mod.customer_rows(card_ws, cid)
        direct = card_mod.customer_query(card_ws.store, cid).to_pyarrow().to_pylist()
        assert prepared and sorted(prepared, key=key) == sorted(direct, key=key)


def test_a_first_message_picks_the_request_and_the_four_steps(
    card_ws: moments.Workspace, scores: pd.DataFrame
) -> None:
    cid = some_customers(scores, 1)[0]
    c = card_mod.build_card(
        card_ws, cid, message="I sent the dress back weeks ago, where is my money?"
    )
    assert c.suggestions[0].key == "returns-and-exchanges:refund-late"
    assert c.at_hand is not None
    assert c.at_hand.moment_id == "returns-call"  # the playbook's first moment
    request = c.playbooks[0].requests[0]
    assert (c.playbooks[0].id, request.id, request.answer) == (
        "returns-and-exchanges",
        "refund-late",
        "delay",
    )
    assert request.guide is not None
    steps = [s.say for s in request.guide.steps]
    assert len(steps) == 4 and steps[-1] == "Will one of these options work for you?"
    assert "{" not in " ".join(steps)  # every placeholder filled
    assert "due by " in steps[0] and "the refund released today" in steps[2]


def test_picking_an_option_records_it_on_the_case(card_ws: moments.Workspace) -> None:
    cid = (
        card_ws.profiles()
        .order_by("customer_id")
        .limit(1)
        .to_pyarrow()
        .to_pylist()[0]["customer_id"]
    )
    before = card_mod.build_card(card_ws, cid)
    case_id = card_mod.pick_option(
        card_ws,
        cid,
        "returns-and-exchanges",
        "refund-late",
        "email-confirmation",
        "returns-call",
        "e-9",
    )
    after = card_mod.build_card(card_ws, cid)
    assert after.open_cases == before.open_cases + 1
    case = next(k for k in after.cases if k.case_id == case_id)
    assert [e.status for e in case.events] == ["opened", "contacted"]
    assert case.owner_id == "contact-centre" and case.moment_id == "returns-call"
    assert "an e-mail the moment the refund is paid" in (case.events[-1].note or "")
    assert after.contacts[0].purpose == "Where is my refund: offered email-confirmation"
    again = card_mod.pick_option(
        card_ws, cid, "returns-and-exchanges", "refund-late", "refund-now", "returns-call"
    )
    assert again == case_id  # the open case goes on
    with pytest.raises(NotFound, match="no option 'free-car'"):
        card_mod.pick_option(card_ws, cid, "returns-and-exchanges", "refund-late", "free-car")


def test_indexes_keep_the_card_and_judging_working(card_ws: moments.Workspace) -> None:
    cid = (
        card_ws.profiles()
        .order_by("customer_id")
        .limit(2)
        .to_pyarrow()
        .to_pylist()[1]["customer_id"]
    )
    before = card_mod.build_card(card_ws, cid).model_dump()
    assert card_mod.index(card_ws) == list(card_mod.INDEXED)
    assert card_mod.index(card_ws) == list(card_mod.INDEXED)  # again: nothing to do
    assert card_mod.build_card(card_ws, cid).model_dump() == before
    # judging again deletes and re-inserts this customer's judgements under the index
    card_ws.judge(lived_ids=[x["lived_id"] for x in before["timeline"]])
    assert len(card_mod.build_card(card_ws, cid).timeline) == len(before["timeline"])


def test_without_a_risk_model_the_card_counts_recent_negatives(
    loaded: moments.Workspace, db: Path
) -> None:
    c = card_mod.build_card(loaded, "c2")  # three customers: no model can be fitted
    assert c.risk.method == "counts" and c.risk.note.startswith("no risk model")
    negatives = [x for x in c.timeline if x.valence == "negative"]
    assert c.risk.negatives == len(negatives)
    band = "high" if len(negatives) >= 2 else "elevated" if negatives else "low"
    assert c.risk.band == band
    assert c.profile.email is None  # no profile loaded: the card still shows what there is
    loaded.close()
    runner = CliRunner()
    shown = runner.invoke(app, ["card", "show", "c2", "--json", "--db", str(db)])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["risk"]["band"] == band
    missing = runner.invoke(app, ["card", "show", "nobody", "--db", str(db)])
    assert missing.exit_code == 1 and "no customer 'nobody'" in missing.output
    found = runner.invoke(app, ["card", "find", "c3", "--db", str(db)])
    assert found.exit_code == 0 and "c3" in found.output


def test_the_card_and_the_cases_are_the_same_on_postgresql(
    loaded: moments.Workspace, postgres_url: str
) -> None:
    opened_at = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    cases.open_cases(loaded, now=opened_at)
    case_id = cases.states(loaded).to_pyarrow().to_pylist()[0]["case_id"]
    cases.record(loaded, case_id, "resolved", "called back", at=opened_at + timedelta(hours=5))
    url = new_database(postgres_url, "frontline_card")
    export_store(loaded.store, url)
    with moments.open(url, create=False) as pg:
        assert pg.store.engine == "postgres"  # the card's query runs through psycopg there
        assert card_mod.index(pg) == list(card_mod.INDEXED)
        for cid in ("c1", "c2", "c3"):
            on_pg = card_mod.build_card(pg, cid, now=opened_at).model_dump()
            on_duck = card_mod.build_card(loaded, cid, now=opened_at).model_dump()
            assert on_pg == on_duck, cid
        when = opened_at + timedelta(days=3)
        assert cases.metrics(pg, now=when).to_pyarrow().to_pylist() == (
            cases.metrics(loaded, now=when).to_pyarrow().to_pylist()
        )
