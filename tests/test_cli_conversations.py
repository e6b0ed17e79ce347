"""``moments conversations judge|coach`` through Typer's CliRunner, with real files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from moments.cli.app import app
from tests.conftest import write

runner = CliRunner()

TURNS = """\
conversation_id,turn_id,role,speaker_id,time,text
c1,1,customer,u1,2026-03-02T10:00:00Z,My replacement card still hasn't arrived. Ridiculous.
c1,2,agent,ann,2026-03-02T10:05:00Z,"Hi Sam, I'm so sorry. Cards take 5 days because of a strike. We can send one by courier, or you can use a virtual card. I will call you within 2 hours. Will that work for you? -Ann"
c1,3,customer,u1,2026-03-02T10:09:00Z,"That worked, thank you so much!"
c2,1,customer,u2,2026-03-09T11:00:00Z,I was charged twice. Unacceptable.
c2,2,agent,bob,2026-03-09T11:02:00Z,You should have checked. I raised ticket number 123 with the back office.
c2,3,customer,u2,2026-03-09T11:30:00Z,Still waiting. Useless.
c3,1,wizard,u3,2026-03-09T12:00:00Z,hello
"""  # noqa: E501


def run(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def test_judge_writes_start_and_end_valence_and_reports_bad_rows(tmp_path: Path) -> None:
    f = write(tmp_path / "turns.csv", TURNS)
    out = tmp_path / "judged.csv"
    code, text = run("conversations", "judge", f, "--out", out)
    assert code == 0, text
    assert f"{f}:8, field 'role': unknown role 'wizard'" in text
    assert "read 6 turns in 2 conversations (1 bad rows skipped)" in text
    got = pd.read_csv(out).set_index("conversation_id")
    assert got.loc["c1", ["start_valence", "end_valence"]].tolist() == ["negative", "positive"]
    assert bool(got.loc["c1", "turned_around"]) and not bool(got.loc["c2", "turned_around"])
    assert "1 of 2 negative starts ended positive" in text


def test_coach_scores_employees_and_names_the_examples(tmp_path: Path) -> None:
    f = write(tmp_path / "turns.csv", TURNS)
    out = tmp_path / "scores.parquet"
    code, text = run("conversations", "coach", f, "--out", out)
    assert code == 0, text
    scores = pd.read_parquet(out).set_index("employee_id")
    assert scores.loc["ann", "score"] == 1.0 and scores.loc["bob", "score"] == 0.0
    assert "blame 2: You should have" in scores.loc["bob", "respect_evidence"]
    assert "Conversations to coach on" in text and "c2" in text
    code, text = run("conversations", "coach", f, "--employee", "bob")
    assert code == 0 and "ann" not in text and "bob" in text
    code, text = run("conversations", "coach", f, "--employee", "zed")
    assert code == 1 and "no conversations by employee 'zed'" in text


def test_unusable_input_is_a_clear_error(tmp_path: Path) -> None:
    code, text = run("conversations", "judge", tmp_path / "missing.csv")
    assert code == 1 and "no such file" in text
    bad = write(tmp_path / "bad.csv", "conversation_id,turn_id,role,text\nc,1,alien,hi\n")
    code, text = run("conversations", "judge", bad)
    assert code == 1 and "no usable turns" in text and f"{bad}:2" in text
    code, text = run("conversations", "judge", bad, "--format", "xml")
    assert code == 1 and "unknown format 'xml'" in text


def test_judge_with_a_trained_text_model_file(tmp_path: Path) -> None:
    from moments.text.model import new_model, save_model

    texts = ["charged twice, unacceptable", "that worked, thank you so much"] * 4
    labels = [[("billing", "negative")], [("billing", "positive")]] * 4
    model = save_model(new_model("linear").fit(texts, labels), tmp_path / "m.joblib")
    f = write(tmp_path / "turns.csv", TURNS)
    out = tmp_path / "judged.csv"
    code, text = run("conversations", "judge", f, "--model", model, "--out", out)
    assert code == 0, text
    got = pd.read_csv(out).set_index("conversation_id")
    assert got.loc["c2", "start_valence"] == "negative"
    code, text = run("conversations", "judge", f, "--model", tmp_path / "none.joblib")
    assert code == 1 and "none.joblib" in text
