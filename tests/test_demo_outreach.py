"""The demo's outreach history (consents, contacts, cases) on stores of any size."""

from __future__ import annotations

from pathlib import Path

import pytest

from moments.demo.build import build_demo
from moments.demo.outreach import add_outreach_history


@pytest.mark.parametrize("customers", [1, 60])
def test_a_small_demo_builds_even_with_nothing_to_open_a_case_for(
    tmp_path: Path, customers: int
) -> None:
    ws, timings = build_demo(tmp_path / "tiny.duckdb", customers=customers)
    try:
        assert "contact history" in timings
        assert ws.store.count("judgements") > 0
        j = ws.judgements()
        negatives = j.filter(j.valence == "negative").count().to_pyarrow().as_py()
        # a case only ever follows a negative moment
        assert ws.store.count("cases") == 0 or negatives > 0
    finally:
        ws.close()


def test_the_history_is_added_once_and_counted(tmp_path: Path) -> None:
    ws, _ = build_demo(tmp_path / "demo.duckdb", customers=300)
    try:
        tables = ("consents", "contacts", "cases")
        before = {t: ws.store.count(t) for t in tables}
        assert all(n > 0 for n in before.values())
        again = add_outreach_history(ws)  # the same ids: every event is already stored
        assert again == {"consent": 0, "contact": 0, "case": 0}
        assert {t: ws.store.count(t) for t in tables} == before
    finally:
        ws.close()
