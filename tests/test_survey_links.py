"""Survey links in bulk, from the library and from ``moments survey links``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
import typer
from typer.testing import CliRunner

import moments
from moments.cli.survey import survey_app
from moments.errors import InputError
from moments.survey import (
    invites_for_interactions,
    read_token,
    record_answer,
    store_secret,
    survey_links,
)
from tests.conftest import write

NOW = datetime(2026, 3, 10, 9, 0, 30, 123_456, tzinfo=UTC)
BASE = "https://survey.example.com/"


# -- library -----------------------------------------------------------------------------------
def test_one_link_per_row(ws: moments.Workspace) -> None:
    rows = [
        {"customer_id": "c1", "moment_id": "checkout", "interaction_id": "i1"},
        {"customer_id": "c2", "moment_id": "greeting"},
        {"customer_id": "c2", "moment_id": "greeting", "interaction_id": ""},
    ]
    t = survey_links(ws, rows, BASE, timedelta(days=7), now=NOW)
    assert t.column_names == [
        "customer_id",
        "moment_id",
        "interaction_id",
        "expires_at",
        "token",
        "url",
    ]
    out = t.to_pylist()
    assert [r["interaction_id"] for r in out] == ["i1", None, None]
    expires = datetime(2026, 3, 17, 9, 0, 30, tzinfo=UTC)
    secret = store_secret(ws)
    for r, given in zip(out, rows, strict=True):
        assert r["url"] == f"https://survey.example.com/s/{r['token']}"
        assert r["expires_at"] == expires
        invite = read_token(secret, r["token"], now=NOW)
        assert (invite.customer_id, invite.moment_id) == (given["customer_id"], given["moment_id"])
        assert invite.interaction_id == r["interaction_id"]
        assert invite.expires_at == expires


def test_links_can_be_answered(ws: moments.Workspace) -> None:
    [row] = survey_links(
        ws, [{"customer_id": "c1", "moment_id": "greeting"}], BASE, timedelta(days=1)
    ).to_pylist()
    assert record_answer(ws, row["token"], 5).valence == "positive"


def test_unknown_moments_and_empty_ids_are_listed_with_lines(ws: moments.Workspace) -> None:
    rows = [
        {"customer_id": "c1", "moment_id": "checkout", "line": 2},
        {"customer_id": "c2", "moment_id": "nope", "line": 3},
        {"customer_id": " ", "moment_id": "checkout", "line": 4},
        {"customer_id": "c4", "moment_id": "nope", "line": 5},
    ]
    with pytest.raises(InputError) as e:
        survey_links(ws, rows, BASE, timedelta(days=1), file="in.csv")
    where = [(p.file, p.line, p.field) for p in e.value.problems]
    assert where == [
        ("in.csv", 3, "moment_id"),
        ("in.csv", 4, "customer_id"),
        ("in.csv", 5, "moment_id"),
    ]
    assert "moment 'nope' is not in any registered journey" in str(e.value)


def test_rows_without_line_numbers_are_named_by_position(ws: moments.Workspace) -> None:
    rows = [{"customer_id": "c1", "moment_id": "checkout"}, {"customer_id": "c2", "moment_id": "x"}]
    with pytest.raises(InputError) as e:
        survey_links(ws, rows, BASE, timedelta(days=1))
    assert e.value.problems[0].what.startswith("row 2: moment 'x'")


QUIET = """\
id: quiet
name: Quiet journey
owners: [{id: ops, name: Operations}]
stages:
  - id: s
    name: Stage
    touchpoints:
      - id: t
        name: Touchpoint
        channel: web
        moments:
          - {id: quiet-checkout, name: "Was it quiet?", owner: ops}
"""


def test_moment_without_survey_is_refused(ws: moments.Workspace, tmp_path: Path) -> None:
    ws.add_journey(write(tmp_path / "quiet.yaml", QUIET))
    with pytest.raises(InputError) as e:
        survey_links(
            ws, [{"customer_id": "c1", "moment_id": "quiet-checkout"}], BASE, timedelta(days=1)
        )
    assert "moment 'quiet-checkout' of journey 'quiet' has no survey scale" in str(e.value)


@pytest.mark.parametrize("base", ["survey.example.com", "ftp://x", "", "https://"])
def test_base_url_must_be_http(ws: moments.Workspace, base: str) -> None:
    with pytest.raises(InputError) as e:
        survey_links(ws, [{"customer_id": "c1", "moment_id": "checkout"}], base, timedelta(1))
    assert e.value.problems[0].field == "base_url"


def test_validity_must_be_positive(ws: moments.Workspace) -> None:
    with pytest.raises(InputError):
        survey_links(ws, [{"customer_id": "c1", "moment_id": "checkout"}], BASE, timedelta(0))


def test_invites_for_interactions(ws: moments.Workspace, small: dict[str, Path]) -> None:
    ws.load(small["interaction"], "interaction")
    assert invites_for_interactions(ws, ["i3", "i1", "i3"]) == [
        {"customer_id": "c2", "moment_id": "checkout", "interaction_id": "i3"},
        {"customer_id": "c1", "moment_id": "checkout", "interaction_id": "i1"},
    ]
    assert invites_for_interactions(ws, []) == []
    with pytest.raises(InputError) as e:
        invites_for_interactions(ws, ["i1", "zz", "yy"])
    assert "2 interaction(s) not in the store: 'zz', 'yy'" in str(e.value)


# -- CLI ---------------------------------------------------------------------------------------
cli = typer.Typer()
cli.add_typer(survey_app, name="survey")
runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture
def store(ws: moments.Workspace, small: dict[str, Path], db: Path) -> Path:
    ws.load(small["interaction"], "interaction")
    ws.close()
    return db


def test_cli_links_to_csv(store: Path, tmp_path: Path) -> None:
    src = write(
        tmp_path / "in.csv",
        "customer_id,moment_id,interaction_id,extra\nc1,checkout,i1,x\n\n007,greeting,,y\n",
    )
    out = tmp_path / "links.csv"
    code, text = run(
        "survey",
        "links",
        src,
        "--db",
        store,
        "--base-url",
        "http://shop.test",
        "--days",
        "3",
        "--out",
        out,
    )
    assert code == 0, text
    assert f"wrote 2 survey links to {out}" in text
    t = pacsv.read_csv(out, convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    assert t.column_names == ["customer_id", "moment_id", "interaction_id", "expires_at", "url"]
    rows = t.to_pylist()
    assert [r["moment_id"] for r in rows] == ["checkout", "greeting"]
    assert rows[0]["interaction_id"] == "i1" and rows[1]["interaction_id"] is None
    assert all(r["url"].startswith("http://shop.test/s/") for r in rows)
    with moments.open(store) as ws:
        invite = read_token(store_secret(ws), rows[1]["url"].rsplit("/", 1)[1])
        assert invite.customer_id == "007"  # ids stay text
        left = invite.expires_at - datetime.now(UTC)
        assert timedelta(days=2, hours=23) < left <= timedelta(days=3)


def test_cli_links_from_interactions(store: Path, tmp_path: Path) -> None:
    src = write(tmp_path / "ids.csv", "interaction_id\ni5\ni2\n")
    out = tmp_path / "links.csv"
    code, text = run("survey", "links", src, "--db", store, "--interactions", "--out", out)
    assert code == 0, text
    rows = pacsv.read_csv(out).to_pylist()
    assert [(r["customer_id"], r["moment_id"], r["interaction_id"]) for r in rows] == [
        ("c3", "dressing-room", "i5"),
        ("c1", "greeting", "i2"),
    ]
    assert rows[0]["url"].startswith("http://127.0.0.1:8000/s/")


def test_cli_links_to_screen(store: Path, tmp_path: Path) -> None:
    src = write(tmp_path / "in.csv", "customer_id,moment_id\nc1,checkout\n")
    code, text = run("survey", "links", src, "--db", store)
    assert code == 0, text
    assert "Survey links (1)" in text and "checkout" in text


def test_cli_unknown_moment_lists_lines(store: Path, tmp_path: Path) -> None:
    src = write(tmp_path / "in.csv", "customer_id,moment_id\nc1,checkout\nc2,nope\nc3,nah\n")
    out = tmp_path / "links.csv"
    code, text = run("survey", "links", src, "--db", store, "--out", out)
    assert code == 1 and not out.exists()
    assert "2 problems:" in text
    assert f"{src}:3, field 'moment_id': moment 'nope' is not in any registered journey" in text
    assert f"{src}:4, field 'moment_id': moment 'nah'" in text


def test_cli_unknown_interactions(store: Path, tmp_path: Path) -> None:
    src = write(tmp_path / "ids.csv", "interaction_id\ni1\nzz\n")
    code, text = run("survey", "links", src, "--db", store, "--interactions")
    assert code == 1 and "1 interaction(s) not in the store: 'zz'" in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("customer,moment\nc1,checkout\n", "no column 'customer_id', 'moment_id'"),
        ("customer_id,moment_id\n", "no rows"),
        (b"customer_id,moment_id\n\xff\xfe,checkout\n", "not UTF-8 text"),
    ],
)
def test_cli_bad_input(store: Path, tmp_path: Path, content: str | bytes, message: str) -> None:
    src = tmp_path / "in.csv"
    if isinstance(content, bytes):
        src.write_bytes(content)
    else:
        write(src, content)
    code, text = run("survey", "links", src, "--db", store)
    assert code == 1 and message in text, text


def test_cli_missing_input_store_or_bad_output(store: Path, tmp_path: Path) -> None:
    code, text = run("survey", "links", tmp_path / "none.csv", "--db", store)
    assert code == 1 and "no such file" in text
    src = write(tmp_path / "in.csv", "customer_id,moment_id\nc1,checkout\n")
    code, text = run("survey", "links", src, "--db", tmp_path / "absent.duckdb")
    assert code == 1 and "no such store" in text
    code, text = run("survey", "links", src, "--db", store, "--out", tmp_path / "links.txt")
    assert code == 1 and "name the output .csv or .parquet" in text
    code, text = run("survey", "links", src, "--db", store, "--days", "0")
    assert code == 2


def test_cli_help() -> None:
    code, text = run("survey", "links", "--help")
    assert code == 0 and "--interactions" in text and "--base-url" in text
