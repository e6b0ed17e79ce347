"""The customer's one-moment survey: the form to show, and recording the answer.

A survey link (see :mod:`moments.survey.tokens`) names a customer and a moment. Answering it
adds one ``feedback`` event whose id is derived from the link, so the same link answered twice
still makes one event, and then re-judges that one lived moment.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from numbers import Real
from typing import TYPE_CHECKING

from moments.errors import InputError, Problem
from moments.journey.model import Journey, Moment, Survey
from moments.survey.secret import store_secret
from moments.survey.tokens import SurveyInvite, read_token, utc

if TYPE_CHECKING:
    from moments.workspace import Workspace

DEFAULT_QUESTION = "How well did we meet your expectations at this moment?"
MAX_COMMENT = 4000

THANKS = "Thank you — your answer has been recorded."
ALREADY = "You have already answered this survey — thank you."


@dataclass(frozen=True)
class SurveyForm:
    """Everything a page needs to ask one customer about one moment.

    Show ``question``, then ``moment_name`` (the moment, in the customer's words), then one
    choice per point of the scale (:attr:`choices`, labelled where the journey labels them).
    """

    question: str
    moment_id: str
    moment_name: str
    journey_id: str
    journey_name: str
    customer_id: str
    interaction_id: str | None
    scale_min: int
    scale_max: int
    labels: Mapping[int, str] = field(default_factory=dict)

    @property
    def choices(self) -> list[tuple[int, str | None]]:
        """Every answer from ``scale_min`` to ``scale_max`` with its label, if any."""
        return [(p, self.labels.get(p)) for p in range(self.scale_min, self.scale_max + 1)]


@dataclass(frozen=True)
class AnswerResult:
    """What happened to a submitted answer."""

    recorded: bool  # False: this link had been answered already, nothing was added
    event_id: str  # the feedback event of this link
    valence: str | None  # the judged moment's valence now (negative/neutral/positive/unknown)
    message: str  # for the customer
    lived_id: str | None = None  # the lived moment the answer judged


def find_survey(ws: Workspace, moment_id: str) -> tuple[Journey, Moment, Survey]:
    """The registered journey, moment and survey for ``moment_id``; InputError if there is none."""
    for journey in ws.journeys():
        for _, _, moment in journey.moments():
            if moment.id != moment_id:
                continue
            survey = journey.survey_for(moment)
            if survey is None:
                raise InputError(
                    Problem(
                        f"moment '{moment_id}' of journey '{journey.id}' has no survey scale",
                        "declare a 'survey' (scale, missed, exceeded) on the moment or journey",
                        field="moment_id",
                    )
                )
            return journey, moment, survey
    raise InputError(
        Problem(
            f"moment '{moment_id}' is not in any registered journey",
            "register the journey that declares it (moments journey add), or check the id",
            field="moment_id",
        )
    )


def survey_form(ws: Workspace, invite: SurveyInvite) -> SurveyForm:
    """The form for ``invite``: question, scale and labels from the moment's journey."""
    journey, moment, survey = find_survey(ws, invite.moment_id)
    return SurveyForm(
        question=survey.question or DEFAULT_QUESTION,
        moment_id=moment.id,
        moment_name=moment.name,
        journey_id=journey.id,
        journey_name=journey.name,
        customer_id=invite.customer_id,
        interaction_id=invite.interaction_id,
        scale_min=survey.scale.min,
        scale_max=survey.scale.max,
        labels=dict(survey.scale.labels),
    )


def answer_event_id(token: str) -> str:
    """The id of the feedback event a link's answer becomes (the same for every submission)."""
    return "survey-" + hashlib.sha256(token.strip().encode("utf-8")).hexdigest()[:20]


def already_answered(ws: Workspace, token: str) -> bool:
    """Whether the answer to this link is stored already."""
    return _exists(ws, "feedback", answer_event_id(token))


def _exists(ws: Workspace, kind: str, event_id: str) -> bool:
    t = ws.events(kind)
    return bool(t.filter(t.event_id == event_id).count().to_pyarrow().as_py())


def parse_score(value: object, form: SurveyForm) -> int:
    """``value`` as a whole number on the form's scale (from a number or the text of one)."""
    problem = InputError(
        Problem(f"Choose an answer from {form.scale_min} to {form.scale_max}", field="score")
    )
    if isinstance(value, bool):
        raise problem
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise problem from None
    elif isinstance(value, Real):
        try:
            number = float(value)
        except (OverflowError, ValueError):
            raise problem from None
    else:
        raise problem
    if not math.isfinite(number) or not number.is_integer():
        raise problem
    if not form.scale_min <= number <= form.scale_max:
        raise problem
    return int(number)


def _comment(comment: str | None) -> str | None:
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT:
        raise InputError(
            Problem(
                f"Your comment is {len(text):,} characters long",
                f"please shorten it to {MAX_COMMENT:,} characters or fewer",
                field="comment",
            )
        )
    return text or None


def _valence(ws: Workspace, lived_id: str) -> str | None:
    j = ws.judgements()
    rows = j.filter(j.lived_id == lived_id).valence.to_pyarrow().to_pylist()
    return rows[0] if rows else None


def _lived_id(ws: Workspace, invite: SurveyInvite, event_id: str) -> str:
    """The lived moment the answer is about: the stored interaction, else the answer itself."""
    if invite.interaction_id and _exists(ws, "interaction", invite.interaction_id):
        return invite.interaction_id
    return event_id


def record_answer(
    ws: Workspace,
    token: str,
    score: object,
    comment: str | None = None,
    now: datetime | None = None,
) -> AnswerResult:
    """Record the customer's answer to the link ``token`` and re-judge that moment.

    Raises :class:`~moments.survey.tokens.TokenError` for a link that is not valid or expired,
    and :class:`~moments.errors.InputError` (field ``score`` or ``comment``) for an answer that
    cannot be recorded. A second answer to the same link records nothing and says so.
    """
    now = utc(now or datetime.now(UTC), "now")
    invite = read_token(store_secret(ws), token, now)
    form = survey_form(ws, invite)
    points = parse_score(score, form)
    text = _comment(comment)
    event_id = answer_event_id(token)
    lived_id = _lived_id(ws, invite, event_id)
    if _exists(ws, "feedback", event_id):
        return AnswerResult(False, event_id, _valence(ws, lived_id), ALREADY, lived_id)
    row = {
        "event_id": event_id,
        "customer_id": invite.customer_id,
        "moment_id": invite.moment_id,
        "occurred_at": now,
        "score": float(points),
        "interaction_id": invite.interaction_id,
        "comment": text,
    }
    report = ws.append("feedback", [row])
    if report.added == 0:
        if _exists(ws, "feedback", event_id):  # answered at the same moment by another request
            return AnswerResult(False, event_id, _valence(ws, lived_id), ALREADY, lived_id)
        raise InputError(report.problems or [Problem("the answer could not be recorded")])
    ws.judge(lived_ids=[lived_id])
    return AnswerResult(True, event_id, _valence(ws, lived_id), THANKS, lived_id)
