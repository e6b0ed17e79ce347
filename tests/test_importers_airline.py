"""`moments import airline` on the real Airline Passenger Satisfaction files (../shared/data)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow.csv as pacsv
import pytest

import moments
from moments.analytics.satisfaction import customers_from
from moments.errors import InputError
from moments.importers.airline import RATINGS, import_airline
from tests.realdata import AIRLINE, airline_store, cli, head, needs_airline

pytestmark = needs_airline


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return airline_store(tmp_path_factory)


@pytest.fixture(scope="module")
def ws(store: tuple[Path, str]) -> Iterator[moments.Workspace]:
    w = moments.open(store[0], create=False)
    yield w
    w.close()


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """The two files as pandas reads them, with the file each row came from."""
    parts = [pd.read_csv(AIRLINE / f"{s}.csv.gz").assign(split=s) for s in ("train", "test")]
    return pd.concat(parts, ignore_index=True)


def _per_moment(ws: moments.Workspace, kind: str) -> pd.Series:
    t = ws.events(kind)
    return t.group_by("moment_id").agg(n=t.count()).to_pandas().set_index("moment_id")["n"]


def test_the_summary_counts_what_the_files_hold(store: tuple[Path, str], raw: pd.DataFrame) -> None:
    out = store[1]
    ratings = raw[[c for c, _ in RATINGS]]
    assert len(raw) == 129_880
    assert "passengers: 129,880" in out
    assert f"ratings answered (1–5): {int((ratings > 0).sum().sum()):,}" in out
    assert f"not-applicable answers (0): {int((ratings == 0).sum().sum()):,}" in out
    assert "not-applicable answers (0): 20,134" in out
    assert "missing arrival delays: 393" in out
    assert "already stored, none quarantined" in out
    assert "every event is dated 2020-02-20" in out


def test_one_customer_per_passenger_one_interaction_per_moment(
    ws: moments.Workspace, raw: pd.DataFrame
) -> None:
    profiles = ws.profiles().to_pandas()
    assert len(profiles) == 129_880
    assert set(profiles.customer_id) == set(raw["id"].astype(str))
    interactions = _per_moment(ws, "interaction")
    assert len(interactions) == 15 and (interactions == 129_880).all()


def test_zero_is_no_answer_and_every_other_rating_is_one(
    ws: moments.Workspace, raw: pd.DataFrame
) -> None:
    answers = _per_moment(ws, "feedback")
    for column, moment in RATINGS:
        assert answers.get(moment, 0) == int((raw[column] > 0).sum()), moment
    wifi = "Inflight wifi service"
    assert int((raw[wifi] == 0).sum()) == 129_880 - answers["inflight-wifi"] == 3_916
    # a not-applicable moment is lived but unknown, and says why
    j = ws.judgements()
    unknown = j.filter((j.moment_id == "inflight-wifi") & (j.valence == "unknown"))
    assert unknown.count().to_pyarrow().as_py() == 3_916
    reason = unknown.reason.first().to_pyarrow().as_py()
    assert "no survey answer" in reason


def test_bands_follow_the_survey_scale(ws: moments.Workspace, raw: pd.DataFrame) -> None:
    j = ws.judgements()
    ob = j.filter(j.moment_id == "online-boarding").group_by("valence").agg(n=lambda t: t.count())
    got = ob.to_pandas().set_index("valence")["n"].to_dict()
    r = raw["Online boarding"]
    assert got == {
        "negative": int(r.between(1, 2).sum()),
        "neutral": int((r == 3).sum()),
        "positive": int((r >= 4).sum()),
        "unknown": int((r == 0).sum()),
    }


def test_arrival_is_judged_by_the_15_minute_standard(
    ws: moments.Workspace, raw: pd.DataFrame
) -> None:
    j = ws.judgements()
    arr = j.filter(j.moment_id == "arrival").group_by(["valence", "source"])
    arr = arr.agg(n=lambda t: t.count())
    got = {(r["valence"], r["source"]): r["n"] for r in arr.to_pyarrow().to_pylist()}
    delay = raw["Arrival Delay in Minutes"]
    assert got == {
        ("negative", "rule"): int((delay > 15).sum()),
        ("neutral", "rule"): int(delay.between(0, 15, inclusive="right").sum()),
        ("positive", "rule"): int((delay <= 0).sum()),
        ("unknown", "none"): 393,
    }
    some = j.filter((j.moment_id == "arrival") & (j.valence == "negative")).reason
    assert "arrived late by" in some.first().to_pyarrow().as_py()


def test_satisfaction_profile_and_source_file(ws: moments.Workspace, raw: pd.DataFrame) -> None:
    o = ws.events("outcome")
    sat = o.filter(o.type == "satisfaction").to_pandas()
    assert len(sat) == 129_880
    assert int((sat.rating == 1.0).sum()) == int((raw.satisfaction == "satisfied").sum()) == 56_428
    assert set(sat.rating) == {0.0, 1.0}
    segments = ws.profiles().to_pandas().segment.value_counts()
    assert len(segments) == 12
    loyal = (
        (raw["Type of Travel"] == "Business travel")
        & (raw["Class"] == "Business")
        & (raw["Customer Type"] == "Loyal Customer")
    )
    assert segments["Business travel · Business · Loyal Customer"] == int(loyal.sum())
    test_ids = set(raw.loc[raw.split == "test", "id"].astype(str))
    assert customers_from(ws, "test") == test_ids and len(test_ids) == 25_976
    assert customers_from(ws, "train").isdisjoint(test_ids)
    with pytest.raises(InputError, match=r"train\.csv\.gz"):
        customers_from(ws, "validation")


def test_drivers_rank_online_boarding_wifi_and_entertainment_near_the_top(
    store: tuple[Path, str], tmp_path: Path
) -> None:
    code, out = cli(
        "analyse", "drivers", "--db", store[0], "--outcome", "satisfaction",
        "--out", tmp_path / "drivers.csv",
    )  # fmt: skip
    assert code == 0, out
    df = pacsv.read_csv(tmp_path / "drivers.csv").to_pandas()
    assert len(df) == 15
    top = list(df.moment[:5])
    assert top[:2] == ["online-boarding", "inflight-wifi"]
    assert "inflight-entertainment" in top
    assert (df.low <= df.importance).all() and (df.importance <= df.high).all()
    assert df.loc[0, "low"] > df.loc[1, "high"]  # boarding clearly first
    assert df.set_index("moment").loc["gate-location", "importance"] < 0.02


def test_basics_and_weakest_work_on_the_airline_store(
    store: tuple[Path, str], tmp_path: Path
) -> None:
    basics = tmp_path / "basics.csv"
    code, out = cli(
        "analyse", "basics", "--db", store[0], "--outcome", "satisfaction", "--out", basics
    )
    assert code == 0, out
    df = pacsv.read_csv(basics).to_pandas().set_index("moment")
    assert len(df) == 15
    # wifi that works lifts satisfaction far more than wifi that fails sinks it
    assert df.loc["inflight-wifi", "verdict"] == "differentiator"
    assert df.loc["inflight-wifi", "reward"] > 0.4
    assert df.reward.idxmax() == "online-boarding"
    code, out = cli("analyse", "weakest", "--db", store[0], "--outcome", "satisfaction")
    assert code == 0, out
    assert "the mean explains the outcome better than the minimum" in out


# -- small copies of the real files: re-import, bad rows ----------------------------------------
def test_importing_again_adds_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "air"
    folder.mkdir()
    head(AIRLINE / "train.csv.gz", folder / "train.csv", 300)
    test_lines = head(AIRLINE / "test.csv.gz", folder / "test.csv", 100)
    with moments.open(tmp_path / "a.duckdb") as ws:
        first = import_airline(ws, folder)
        again = import_airline(ws, folder)
        assert first.counts["passengers"] == 400 and first.added > 400 * 15
        assert (again.added, again.duplicates, again.quarantined) == (0, first.added, 0)
        assert again.judged is not None and again.judged.lived == 400 * 15
        ids = {row.split(",")[1] for row in test_lines[1:]}
        assert customers_from(ws, "test") == ids


def _alter(path: Path, changes: dict[int, dict[str, str | None]]) -> None:
    """Rewrite a CSV: {line: {column: new value, or None to cut the row short}}."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    for line, change in changes.items():
        row = rows[line - 1]
        for column, value in change.items():
            if value is None:
                rows[line - 1] = row[: header.index(column)]
            else:
                row[header.index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def test_bad_rows_are_quarantined_with_file_line_and_field(tmp_path: Path) -> None:
    folder = tmp_path / "air"
    folder.mkdir()
    head(AIRLINE / "train.csv.gz", folder / "train.csv", 40)
    _alter(
        folder / "train.csv",
        {
            5: {"Inflight wifi service": "7"},
            8: {"Arrival Delay in Minutes": "soon"},
            10: {"satisfaction": "maybe"},
            12: {"Cleanliness": None},  # the row is cut short
            14: {"Age": "forty"},
            16: {"id": ""},  # no passenger to speak of: one problem, not one per event
        },
    )
    db = tmp_path / "bad.duckdb"
    code, out = cli("import", "airline", folder, "--db", db)
    assert code == 0, out
    assert "from 6 source rows" in out and "train.csv:5" in out
    with moments.open(db, create=False) as ws:
        q = ws.quarantine().to_pandas().sort_values("line")
        got = {(r.line, r.field, r.value) for r in q.dropna(subset=["field"]).itertuples()}
        assert (5, "score", "7") in got
        assert (8, "arrival_delay_minutes", "soon") in got
        assert (14, "passenger_age_years", "forty") in got
        assert any(line == 10 and f == "rating" and "maybe" in v for line, f, v in got)
        cut = q[q.line == 12].iloc[0]
        assert pd.isna(cut.field) and "fewer than the 25 columns" in cut.reason
        assert len(q[q.line == 5]) == 1  # one problem: no other event's value reported with it
        assert set(q[q.line == 16].field) == {"event_id", "customer_id"}
        assert q[q.line == 16].load_id.nunique() == 1
        assert "outside the scale 1–5" in q[q.line == 5].reason.iloc[0]
        assert set(Path(f).name for f in q.file) == {"train.csv"}
        # the passenger of line 5 keeps every other event
        customer = q[q.line == 5].event_id.iloc[0].split("-")[1]
        fb = ws.events("feedback")
        mine = fb.filter(fb.customer_id == customer).moment_id.to_pyarrow().to_pylist()
        assert "inflight-wifi" not in mine and len(mine) >= 12
        assert ws.profiles().count().to_pyarrow().as_py() == 38  # none for the cut and no-id rows


def test_missing_folder_and_files_are_clear_errors(tmp_path: Path) -> None:
    code, out = cli("import", "airline", tmp_path / "nope", "--db", tmp_path / "x.duckdb")
    assert code == 1 and "no such folder" in out
    code, out = cli("import", "airline", tmp_path, "--db", tmp_path / "x.duckdb")
    assert code == 1 and "no train.csv or test.csv" in out
    (tmp_path / "train.csv").write_text("id,Age\n1,30\n", encoding="utf-8")
    code, out = cli("import", "airline", tmp_path, "--db", tmp_path / "x.duckdb")
    assert code == 1 and "missing columns" in out and "Online boarding" in out
