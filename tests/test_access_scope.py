"""Scoped stores: each role reads only its scope, through every analysis, and writes only what
it may — on the real demo data."""

from __future__ import annotations

import pyarrow as pa
import pytest

import moments
from moments.access.roles import Principal
from moments.access.scope import ScopedStore
from moments.errors import Forbidden, NotFound

OWNER = Principal("olga", "owner", owner_id="store-ops")
COACH_TEAM = ("emp-01", "emp-02")


def _set(expr, column: str) -> set[str]:  # type: ignore[no-untyped-def]
    return set(expr.select(column).distinct().to_pyarrow().column(0).to_pylist())


def test_an_owner_sees_only_their_moments_in_every_table_and_analysis(
    demo: moments.Workspace,
) -> None:
    mine = _set(demo.moments().filter(lambda t: t.owner_id == "store-ops"), "moment_id")
    assert mine and mine != _set(demo.moments(), "moment_id")
    ws = demo.scoped(OWNER)
    assert isinstance(ws.store, ScopedStore) and ws.generation == demo.generation
    assert _set(ws.moments(), "moment_id") == mine
    assert _set(ws.judgements(), "moment_id") == mine
    assert _set(ws.events("feedback"), "moment_id") <= mine
    assert _set(ws.events("case"), "moment_id") <= mine | {None}
    # the scorecard is the whole store's, row for row, for the owner's moments only
    full = demo.scorecard("moment").to_pandas().set_index("moment_id")
    scoped = ws.scorecard("moment").to_pandas().set_index("moment_id")
    assert set(scoped.index) == mine
    assert (scoped["lived"] == full.loc[scoped.index, "lived"]).all()
    assert int(ws.totals().to_pyarrow()["lived"][0].as_py()) == int(scoped["lived"].sum())
    # comments about other moments, customers' contact details: nothing
    assert _set(ws.evidence(valence=None, limit=500), "moment_id") <= mine
    assert ws.profiles().count().to_pyarrow().as_py() == 0
    assert ws.store.count("users") == 0 and ws.store.count("quarantine") == 0
    # customers: only those who lived one of the owner's moments
    cust = _set(ws.customers(), "customer_id")
    lived_mine = _set(
        demo.judgements().filter(lambda t: t.moment_id.isin(list(mine))), "customer_id"
    )
    assert cust <= lived_mine
    other = sorted(_set(demo.moments(), "moment_id") - mine)[0]
    with pytest.raises(NotFound):
        ws.moment(other)
    with pytest.raises(NotFound):
        ws.owner("stylists")


def test_a_coach_sees_their_team_only_and_admins_see_all(demo: moments.Workspace) -> None:
    team = tuple(sorted(_set(demo.judgements(), "employee_id") - {None})[:2])
    coach = demo.scoped(Principal("cora", "coach", team=team))
    assert _set(coach.judgements(), "employee_id") == set(team)
    assert coach.events("comment").count().to_pyarrow().as_py() == 0
    admin = demo.scoped(Principal("ada", "admin"))
    assert admin.store is demo.store and admin.principal.user_id == "ada"
    leader = demo.scoped(Principal("lee", "cx_leader"))
    assert (
        leader.judgements().count().to_pyarrow().as_py()
        == demo.judgements().count().to_pyarrow().as_py()
    )
    assert leader.store.count("users") == 0  # accounts and the audit: admins only


def test_writes_are_limited_to_the_role_and_deduplicate_against_the_whole_store(
    loaded: moments.Workspace,
) -> None:
    leader = loaded.scoped(Principal("lee", "cx_leader"))
    with pytest.raises(Forbidden, match=r"lee \(cx_leader\) may not change 'cases'"):
        leader.append(
            "case",
            [
                {
                    "event_id": "k1",
                    "case_id": "c1",
                    "customer_id": "c-1",
                    "occurred_at": "2026-05-01T10:00:00Z",
                    "status": "opened",
                }
            ],
        )
    agent = loaded.scoped(Principal("ann", "agent"))
    row = {
        "event_id": "k1",
        "case_id": "c1",
        "customer_id": "c-1",
        "occurred_at": "2026-05-01T10:00:00Z",
        "status": "opened",
        "moment_id": "checkout",
    }
    assert agent.append("case", [row]).added == 1
    # an owner of other moments does not see the case, yet cannot add it twice
    owner = loaded.scoped(Principal("olga", "owner", owner_id="digital"))
    assert owner.events("case").count().to_pyarrow().as_py() == 0
    assert owner.append("case", [row]).added == 0
    with pytest.raises(Forbidden):
        agent.store.append("interactions", pa.table({"event_id": ["x"]}))
    with pytest.raises(Forbidden):
        agent.load("whatever.csv", "interaction")
    before = loaded.generation
    agent.append("case", [{**row, "event_id": "k2", "status": "closed"}])
    assert loaded.generation == before + 1  # a scoped write moves the store's generation
