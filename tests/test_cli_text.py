"""`moments text train|predict|eval|explain` through Typer's CliRunner, with real files."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, Self

import pytest
from typer.testing import CliRunner

from moments.cli.app import app
from moments.text.linear import LinearModel
from moments.text.model import Labels
from tests.conftest import RETAIL
from tests.text_comments import write_jsonl

runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("text")
    data = write_jsonl(d / "train.jsonl", 90, seed=0)
    code, out = run("text", "train", data, "--out", d / "m.joblib")
    assert code == 0, out
    assert "trained linear v1 on 95 comments" in out and "5 categories" in out
    return d / "m.joblib", write_jsonl(d / "test.jsonl", 30, seed=1)


def test_predict_writes_one_line_per_input_with_the_same_id(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    model, data = trained
    code, out = run("text", "predict", model, data, "--out", tmp_path / "p.jsonl")
    assert code == 0, out
    src = [json.loads(x) for x in data.read_text().splitlines()]
    got = [json.loads(x) for x in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert [g["id"] for g in got] == [s["id"] for s in src]
    first = got[0]["categories"][0]
    assert set(first) >= {"category", "polarity", "confidence", "evidence"}
    hits = sum(
        {c["category"] for c in g["categories"]} == {c["category"] for c in s["categories"]}
        for g, s in zip(got, src, strict=True)
    )
    assert hits >= 0.8 * len(src)


def test_given_categories_keeps_the_input_categories(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    model, _ = trained
    data = tmp_path / "in.jsonl"
    data.write_text(
        json.dumps(
            {
                "id": "q",
                "text": "The stylist was brilliant",
                "categories": [{"category": "find-parking", "polarity": "negative"}],
            }
        )
        + "\n"
    )
    code, out = run(
        "text", "predict", model, data, "--out", tmp_path / "p.jsonl", "--given-categories"
    )
    assert code == 0, out
    (row,) = [json.loads(x) for x in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert [c["category"] for c in row["categories"]] == ["find-parking"]


def test_eval_prints_detection_and_polarity_tables(trained: tuple[Path, Path]) -> None:
    model, data = trained
    code, out = run("text", "eval", model, data)
    assert code == 0, out
    for word in ("micro", "precision", "4-way", "3-way", "binary", "confusion"):
        assert word in out


def test_explain_shows_the_words(trained: tuple[Path, Path]) -> None:
    model, _ = trained
    code, out = run("text", "explain", model, "The cashier was rude and slow")
    assert code == 0, out
    assert "checkout" in out and "negative" in out and "rude" in out
    code, out = run("text", "explain", model, "🙂🙂")
    assert code == 0 and "no known moment" in out


def test_bad_input_is_reported_with_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "text": "ok", "categories": []}\n{"id": "2"}\n')
    code, out = run("text", "train", bad, "--out", tmp_path / "m.joblib")
    assert code == 1
    assert f"{bad}:1" in out and f"{bad}:2" in out and "'text'" in out
    code, out = run("text", "eval", tmp_path / "nope.joblib", bad)
    assert code == 1 and "no model file" in out


def test_journey_router_from_keywords_reports_no_known_moment(tmp_path: Path) -> None:
    code, out = run("text", "train", "--journey", RETAIL, "--out", tmp_path / "r.joblib")
    assert code == 0, out
    assert "journey v1" in out
    data = tmp_path / "in.jsonl"
    data.write_text(
        '{"id": "1", "text": "Waited ages in the queue to pay"}\n'
        '{"id": "2", "text": "Nice weather today"}\n'
    )
    code, out = run("text", "predict", tmp_path / "r.joblib", data, "--out", tmp_path / "p.jsonl")
    assert code == 0 and "1 mention no known moment" in out
    a, b = [json.loads(x) for x in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert [c["category"] for c in a["categories"]] == ["checkout"]
    assert b["categories"] == [] and b["no_known_moment"] is True


def test_train_takes_backend_settings_by_name(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "train.jsonl", 40, seed=0)
    model_file = tmp_path / "m.joblib"
    code, out = run(
        "text", "train", data, "--out", model_file, "-p", "detect_c=1", "--param", "polarity_c=0.5"
    )
    assert code == 0, out
    from moments.text.model import load_model

    params = load_model(model_file).summary()["params"]
    assert (params["detect_c"], params["polarity_c"]) == (1, 0.5)


@pytest.mark.parametrize(
    ("setting", "message", "fix"),
    [
        ("epochs=3", "backend 'linear' has no parameter 'epochs'", "detect_c, lexicon_scale"),
        ("detect_c=strong", "'detect_c' of backend 'linear' takes a float", "e.g. detect_c=0.3"),
    ],
)
def test_a_wrong_backend_setting_is_named_before_training(
    tmp_path: Path, setting: str, message: str, fix: str
) -> None:
    data = write_jsonl(tmp_path / "train.jsonl", 20, seed=0)
    code, out = run("text", "train", data, "--out", tmp_path / "m.joblib", "-p", setting)
    flat = " ".join(out.split())
    assert code == 1 and message in flat and fix in flat, out
    assert not (tmp_path / "m.joblib").exists()


@pytest.mark.parametrize("setting", ["detect_c", "=1", "seed=3"])
def test_a_malformed_setting_is_a_usage_error(tmp_path: Path, setting: str) -> None:
    data = write_jsonl(tmp_path / "train.jsonl", 20, seed=0)
    code, out = run("text", "train", data, "--out", tmp_path / "m.joblib", "-p", setting)
    assert code == 2, out
    assert not (tmp_path / "m.joblib").exists()


class _Stepped(LinearModel):
    """A linear model that reports three training steps, as the fine-tuned backends do."""

    name = "stepped-test"
    steps_seen: ClassVar[list[bool]] = []

    def training_steps(self, texts: int) -> int:
        return 3

    def fit(self, texts: Sequence[str], labels: Labels) -> Self:
        for _ in range(3):
            assert self.on_step is not None  # the CLI follows the steps
            self.on_step()
            type(self).steps_seen.append(True)
        return super().fit(texts, labels)


def test_a_long_training_is_followed_step_by_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moments.text import model as model_

    monkeypatch.setitem(model_._MODELS, _Stepped.name, _Stepped)
    data = write_jsonl(tmp_path / "train.jsonl", 40, seed=0)
    code, out = run(
        "text", "train", data, "--out", tmp_path / "m.joblib", "--backend", _Stepped.name
    )
    assert code == 0, out
    assert _Stepped.steps_seen == [True] * 3
    loaded = model_.load_model(tmp_path / "m.joblib")
    assert loaded.on_step is None  # the bar is not kept in the model file
