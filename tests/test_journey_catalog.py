from __future__ import annotations

from pathlib import Path

import pytest

import moments
from tests.conftest import BANK, RETAIL, write


def test_add_update_unchanged(ws: moments.Workspace, tmp_path: Path) -> None:
    assert ws.add_journey(RETAIL).status == "unchanged"
    assert ws.add_journey(BANK).status == "added"
    assert {j.id for j in ws.journeys()} == {"retail-store-visit", "bank-lost-wallet"}
    v2 = write(tmp_path / "r.yaml", RETAIL.read_text().replace("importance: 5", "importance: 4"))
    assert ws.add_journey(v2).status == "updated"
    history = ws.store.table("journeys").filter(lambda t: t.journey_id == "retail-store-visit")
    assert history.count().to_pyarrow().as_py() == 2  # append-only history
    m = ws.moments().filter(lambda t: t.moment_id == "dressing-room").to_pyarrow().to_pylist()
    assert m[0]["importance"] == 4 and m[0]["owner"] == "Stylist team"
    assert ws.moments().count().to_pyarrow().as_py() == 15


def test_moment_ids_are_unique_across_journeys(ws: moments.Workspace, tmp_path: Path) -> None:
    clash = write(
        tmp_path / "clash.yaml",
        BANK.read_text()
        .replace("id: bank-lost-wallet", "id: other")
        .replace("- id: follow-up\n", "- id: checkout\n"),
    )
    with pytest.raises(moments.InputError, match="'checkout' is already used by journey"):
        ws.add_journey(clash)
    assert ws.moments().count().to_pyarrow().as_py() == 8


def test_invalid_journey_is_not_registered(ws: moments.Workspace, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.yaml", RETAIL.read_text().replace("kind: basic", "kind: meh", 1))
    with pytest.raises(moments.InputError, match=r"bad.yaml:\d+:\d+"):
        ws.add_journey(bad)
    with pytest.raises(moments.InputError, match="no such file"):
        ws.add_journey(tmp_path / "missing.yaml")
