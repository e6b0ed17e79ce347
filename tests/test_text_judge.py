from __future__ import annotations

from pathlib import Path

import pytest

import moments
from moments.text import registry
from moments.text.corpus import labels_of
from moments.text.judge import ModelJudge
from moments.text.linear import LinearModel
from moments.text.model import save_model
from moments.text.registry import TextItem
from tests.conftest import RETAIL, write
from tests.text_comments import comments


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = comments(90)
    model = LinearModel().fit([c.text for c in data], labels_of(data))
    return save_model(model, tmp_path_factory.mktemp("model") / "retail.joblib")


def _load_words(ws: moments.Workspace, tmp_path: Path) -> None:
    ws.load(
        write(
            tmp_path / "i.csv",
            "event_id,customer_id,moment_id,occurred_at,queue_seconds\n"
            "a,c1,styling-advice,2026-01-01T10:00:00Z,\n"
            "b,c1,checkout,2026-01-01T10:00:00Z,30\n"
            "c,c2,checkout,2026-01-01T10:00:00Z,\n"
            "d,c3,greeting,2026-01-01T10:00:00Z,\n",
        ),
        "interaction",
    )
    ws.load(
        write(
            tmp_path / "c.csv",
            "event_id,customer_id,occurred_at,text,interaction_id\n"
            "k1,c1,2026-01-01T11:00:00Z,The stylist was really helpful,a\n"
            "k2,c1,2026-01-01T11:00:00Z,the till took forever,b\n"
            "k3,c2,2026-01-01T11:00:00Z,The cashier was rude and slow,c\n"
            "k4,c3,2026-01-01T11:00:00Z,😀,d\n",
        ),
        "comment",
    )


def test_judge_uses_a_trained_model_with_evidence(
    ws: moments.Workspace, tmp_path: Path, model_file: Path
) -> None:
    _load_words(ws, tmp_path)
    report = ws.judge(text_backend=str(model_file))
    rows = {r["lived_id"]: r for r in ws.judgements().to_pyarrow().to_pylist()}
    assert (rows["a"]["valence"], rows["a"]["source"]) == ("positive", "text")
    assert rows["a"]["reason"].startswith("linear v1 (retail.joblib): positive (")
    assert "helpful" in rows["a"]["reason"]
    assert 0 < rows["a"]["confidence"] <= 1
    assert (rows["b"]["source"], rows["b"]["valence"]) == ("rule", "positive")  # the rule wins
    assert (rows["c"]["valence"], rows["c"]["source"]) == ("negative", "text")
    assert "rude" in rows["c"]["reason"]
    assert rows["d"]["source"] == "text"  # an emoji is words too: judged, with a low verdict
    assert report.by_source["text"] == 3


def test_the_text_model_setting_turns_it_on(
    db: Path, tmp_path: Path, model_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOMENTS_TEXT_MODEL", str(model_file))
    with moments.open(db) as ws:
        ws.add_journey(RETAIL)
        _load_words(ws, tmp_path)
        ws.judge()
        t = ws.judgements()
        by = {r["lived_id"]: r["source"] for r in t.to_pyarrow().to_pylist()}
    assert by["a"] == by["c"] == "text"


def test_backend_model_without_a_model_file_says_what_to_do() -> None:
    with pytest.raises(moments.MomentsError, match="MOMENTS_TEXT_MODEL"):
        registry.get("model")
    assert registry.get("none") is None


def test_unseen_moments_and_mixed_verdicts_are_said(model_file: Path) -> None:
    judge = ModelJudge.load(model_file)
    out = judge.judge(
        [TextItem("x", "returns-call", "the agent was brilliant"), TextItem("y", "checkout", " ")]
    )
    assert [j.lived_id for j in out] == ["x"]  # blank words: left unjudged
    assert "not trained on this moment" in out[0].reason
