"""The one-moment survey: the form, recording an answer once, and judging that moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import SecretStr

import moments
from moments.errors import InputError
from moments.survey import (
    DEFAULT_QUESTION,
    ExpiredToken,
    InvalidToken,
    already_answered,
    answer_event_id,
    make_token,
    read_token,
    record_answer,
    store_secret,
    survey_form,
)
from tests.conftest import write

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
UNTIL = NOW + timedelta(days=30)
BANDS = {"missed": "negative", "met": "neutral", "exceeded": "positive"}

OWN_QUESTION = """\
id: tiny
name: Tiny journey
owners: [{id: ops, name: Operations}]
stages:
  - id: s
    name: Stage
    touchpoints:
      - id: t
        name: Touchpoint
        channel: web
        moments:
          - id: asked
            name: Was it easy?
            owner: ops
            survey:
              question: How easy was it?
              scale: {min: 0, max: 10, labels: {0: Very hard, 10: Very easy}}
              missed: "<= 6"
              exceeded: ">= 9"
          - id: not-asked
            name: Was it quiet?
            owner: ops
"""


def _token(ws: moments.Workspace, moment: str = "greeting", interaction: str | None = None) -> str:
    return make_token(store_secret(ws), "c1", moment, interaction, expires_at=UNTIL)


def _feedback(ws: moments.Workspace) -> list[dict[str, object]]:
    return ws.events("feedback").to_pyarrow().to_pylist()


def _judgement(ws: moments.Workspace, lived_id: str) -> dict[str, object]:
    j = ws.judgements()
    rows = j.filter(j.lived_id == lived_id).to_pyarrow().to_pylist()
    assert len(rows) == 1, rows
    return rows[0]


# -- the secret --------------------------------------------------------------------------------
def test_store_secret_is_made_once_and_kept(ws: moments.Workspace, db: Path) -> None:
    assert ws.store.meta("survey_secret") is None
    secret = store_secret(ws)
    assert len(secret) >= 40 and store_secret(ws) == secret
    assert ws.store.meta("survey_secret") == secret
    ws.close()
    with moments.open(db) as again:
        assert store_secret(again) == secret
        m = again.store.table("meta")
        assert m.filter(m.key == "survey_secret").count().to_pyarrow().as_py() == 1


@pytest.mark.parametrize("configured", ["from-settings", SecretStr("from-settings")])
def test_configured_secret_key_wins(
    ws: moments.Workspace, monkeypatch: pytest.MonkeyPatch, configured: object
) -> None:
    monkeypatch.setattr(ws, "settings", SimpleNamespace(secret_key=configured))
    assert store_secret(ws) == "from-settings"
    assert ws.store.meta("survey_secret") is None


def test_empty_secret_key_means_the_store_secret(
    ws: moments.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ws, "settings", SimpleNamespace(secret_key=""))
    assert store_secret(ws) == ws.store.meta("survey_secret")


# -- the form ----------------------------------------------------------------------------------
def test_form_text_and_scale(ws: moments.Workspace) -> None:
    form = survey_form(ws, read_token(store_secret(ws), _token(ws), now=NOW))
    assert form.question == DEFAULT_QUESTION
    assert form.moment_id == "greeting" and form.moment_name == "Is she greeted?"
    assert form.journey_id == "retail-store-visit"
    assert form.journey_name == "Specialty retailer — store visit"
    assert form.customer_id == "c1" and form.interaction_id is None
    assert (form.scale_min, form.scale_max) == (1, 5)
    assert form.choices == [
        (1, "Far below my expectations"),
        (2, None),
        (3, "As I expected"),
        (4, None),
        (5, "Far above my expectations"),
    ]


def test_form_uses_the_moments_own_question(ws: moments.Workspace, tmp_path: Path) -> None:
    ws.add_journey(write(tmp_path / "tiny.yaml", OWN_QUESTION))
    form = survey_form(ws, read_token(store_secret(ws), _token(ws, "asked"), now=NOW))
    assert form.question == "How easy was it?" and form.moment_name == "Was it easy?"
    assert (form.scale_min, form.scale_max) == (0, 10)
    assert form.choices[0] == (0, "Very hard") and len(form.choices) == 11


def test_form_for_a_moment_without_survey_or_journey(ws: moments.Workspace, tmp_path: Path) -> None:
    ws.add_journey(write(tmp_path / "tiny.yaml", OWN_QUESTION))
    secret = store_secret(ws)
    for moment, what in (("not-asked", "has no survey scale"), ("gone", "not in any registered")):
        with pytest.raises(InputError) as e:
            survey_form(ws, read_token(secret, _token(ws, moment), now=NOW))
        assert what in e.value.problems[0].what
        assert e.value.problems[0].field == "moment_id"


# -- recording ---------------------------------------------------------------------------------
def test_answer_event_id_is_deterministic() -> None:
    a = answer_event_id("tok.en")
    assert a == answer_event_id("tok.en") and a.startswith("survey-") and len(a) == 27
    assert a != answer_event_id("tok.em")


@pytest.mark.parametrize("score", [1, 2, 3, 4, 5])
def test_recording_makes_one_event_and_judges_by_the_survey_band(
    ws: moments.Workspace, score: int
) -> None:
    token = _token(ws)
    assert not already_answered(ws, token)
    result = record_answer(ws, token, score, "  Nice door  ", now=NOW)
    assert result.recorded and result.event_id == answer_event_id(token)
    assert already_answered(ws, token)
    [event] = _feedback(ws)
    assert event["event_id"] == result.event_id
    assert (event["customer_id"], event["moment_id"], event["score"]) == ("c1", "greeting", score)
    assert event["occurred_at"] == NOW and event["interaction_id"] is None
    assert event["comment"] == "Nice door"
    journey = ws.journeys()[0]
    moment = next(m for _, _, m in journey.moments() if m.id == "greeting")
    survey = journey.survey_for(moment)
    assert survey is not None
    expected = BANDS[survey.band(score)]
    assert result.valence == expected and result.lived_id == result.event_id
    judged = _judgement(ws, result.event_id)
    assert (judged["valence"], judged["source"]) == (expected, "survey")
    assert ws.quarantine().count().to_pyarrow().as_py() == 0


@pytest.mark.parametrize("score", ["4", " 4 ", 4.0, "4.0"])
def test_scores_as_text_or_whole_floats(ws: moments.Workspace, score: object) -> None:
    result = record_answer(ws, _token(ws), score, now=NOW)
    assert result.recorded and _feedback(ws)[0]["score"] == 4.0


def test_a_second_submission_adds_nothing(ws: moments.Workspace) -> None:
    token = _token(ws)
    first = record_answer(ws, token, 5, now=NOW)
    loads = ws.loads().count().to_pyarrow().as_py()
    again = record_answer(ws, token, 1, "changed my mind", now=NOW + timedelta(hours=1))
    assert not again.recorded and again.event_id == first.event_id
    assert again.valence == "positive" and "already answered" in again.message
    assert len(_feedback(ws)) == 1 and _feedback(ws)[0]["score"] == 5.0
    assert ws.loads().count().to_pyarrow().as_py() == loads
    assert ws.quarantine().count().to_pyarrow().as_py() == 0


@pytest.mark.parametrize("score", [0, 6, -1, 2.5, "abc", "", None, True, float("nan"), 10**400])
def test_off_scale_score_is_refused(ws: moments.Workspace, score: object) -> None:
    with pytest.raises(InputError) as e:
        record_answer(ws, _token(ws), score, now=NOW)
    [problem] = e.value.problems
    assert problem.field == "score" and problem.what == "Choose an answer from 1 to 5"
    assert _feedback(ws) == [] and ws.judgements().count().to_pyarrow().as_py() == 0


def test_too_long_comment_is_refused(ws: moments.Workspace) -> None:
    with pytest.raises(InputError) as e:
        record_answer(ws, _token(ws), 3, "x" * 5000, now=NOW)
    assert e.value.problems[0].field == "comment" and _feedback(ws) == []


def test_unknown_moment_in_token(ws: moments.Workspace) -> None:
    with pytest.raises(InputError) as e:
        record_answer(ws, _token(ws, "no-such-moment"), 3, now=NOW)
    assert "not in any registered journey" in str(e.value)
    assert _feedback(ws) == []


def test_invalid_or_expired_token(ws: moments.Workspace) -> None:
    with pytest.raises(InvalidToken):
        record_answer(ws, make_token("not-the-store-secret", "c1", "greeting"), 3, now=NOW)
    with pytest.raises(ExpiredToken):
        record_answer(ws, _token(ws), 3, now=UNTIL)
    assert _feedback(ws) == []


def test_answer_about_an_interaction_rejudges_that_interaction(
    ws: moments.Workspace, small: dict[str, Path]
) -> None:
    assert ws.load(small["interaction"], "interaction").quarantined == 0
    ws.judge()
    before = {r["lived_id"]: r for r in ws.judgements().to_pyarrow().to_pylist()}
    assert before["i3"]["valence"] == "negative" and before["i3"]["source"] == "rule"
    token = make_token(store_secret(ws), "c2", "checkout", "i3", expires_at=UNTIL)
    result = record_answer(ws, token, 5, "Quick after all", now=NOW)
    assert result.recorded and result.lived_id == "i3" and result.valence == "positive"
    after = {r["lived_id"]: r for r in ws.judgements().to_pyarrow().to_pylist()}
    assert set(after) == set(before)  # the answer is about i3: no new lived moment
    assert after["i3"]["source"] == "survey" and after["i3"]["customer_id"] == "c2"
    assert "Quick after all" in str(after["i3"]["reason"])
    for lived_id in set(before) - {"i3"}:
        assert after[lived_id] == before[lived_id]  # only that moment was judged again
    [event] = _feedback(ws)
    assert event["interaction_id"] == "i3"


def test_answer_naming_an_interaction_not_stored_is_judged_by_its_score(
    ws: moments.Workspace,
) -> None:
    result = record_answer(ws, _token(ws, "greeting", "i-not-loaded"), 5, now=NOW)
    assert result.recorded and result.lived_id == result.event_id
    assert result.valence == "positive"
