"""Pydantic models of a journey map: journey → stages → touchpoints → defining moments."""

from __future__ import annotations

import re
import zoneinfo
from decimal import Decimal
from typing import Annotated, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from moments.store.schema import CHANNELS

Id = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_.-]*$",
        max_length=80,
        description="lower-case letters, digits, '-', '_' or '.'; starts with a letter or digit",
    ),
]
Channel = Literal["web", "app", "phone", "chat", "email", "store", "social", "other"]
assert set(get_args(Channel)) == set(CHANNELS)


class RuleError(ValueError):
    """A value breaks a rule: carries what is wrong and what to do, for the loader to report."""

    def __init__(self, what: str, fix: str) -> None:
        super().__init__(f"{what}; {fix}")
        self.what, self.fix = what, fix


_CONDITION = re.compile(r"^\s*(<=|>=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$")


class Condition(BaseModel):
    """A comparison of a number against a threshold, written ``"<= 60"``."""

    op: Literal["<", "<=", ">", ">="]
    threshold: float

    @classmethod
    def parse(cls, text: object) -> Condition:
        if isinstance(text, Condition):
            return text
        m = _CONDITION.match(str(text))
        if not m:
            raise RuleError(
                f"'{text}' is not a condition", "write an operator and a number, e.g. '<= 60'"
            )
        return cls(op=m.group(1), threshold=float(m.group(2)))

    @property
    def lower_is_better(self) -> bool:
        return self.op in ("<", "<=")

    def holds(self, value: float) -> bool:
        t = self.threshold
        return {"<": value < t, "<=": value <= t, ">": value > t, ">=": value >= t}[self.op]

    def __str__(self) -> str:
        sym = {"<=": "≤", ">=": "≥"}.get(self.op, self.op)
        return f"{sym} {_num(self.threshold)}"


CONDITION_PATTERN = r"^\s*(<=|>=|<|>)\s*-?\d+(\.\d+)?\s*$"
ConditionText = Annotated[
    Condition,
    BeforeValidator(Condition.parse),
    PlainSerializer(lambda c: f"{c.op} {_num(c.threshold)}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": CONDITION_PATTERN, "examples": ["<= 60", ">= 9"]}),
]


def _num(x: float) -> str:
    """The number in plain decimal notation that reads back as exactly ``x`` (no exponent)."""
    return str(int(x)) if float(x).is_integer() else format(Decimal(repr(float(x))), "f")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Owner(_Strict):
    """Who is responsible for a moment: a team, a function or a person."""

    id: Id
    name: str
    kind: Literal["team", "function", "person"] = "team"
    email: str | None = None


class Measure(_Strict):
    """A measurable quantity recorded with an interaction, e.g. ``wait_seconds``."""

    label: str = Field(description="how a reason names it, e.g. 'waited'")
    unit: str = ""
    description: str = ""


class Standard(_Strict):
    """An expectation standard: exceeded if ``exceeded`` holds, met if ``met`` holds, else missed.

    Every value that exceeds the standard must also meet it.
    """

    measure: str
    exceeded: ConditionText
    met: ConditionText

    @model_validator(mode="after")
    def _ordered(self) -> Standard:
        e, m = self.exceeded, self.met
        if e.lower_is_better != m.lower_is_better:
            raise RuleError(
                f"'exceeded {e}' and 'met {m}' point in opposite directions",
                "use '<'/'<=' for both (lower is better) or '>'/'>=' for both",
            )
        # every value that exceeds the standard must also meet it
        if e.threshold == m.threshold:
            wrong = e.op in ("<=", ">=") and m.op in ("<", ">")
        else:
            wrong = e.threshold > m.threshold if e.lower_is_better else e.threshold < m.threshold
        if wrong:
            raise RuleError(
                f"thresholds in the wrong order: 'exceeded {e}' must be stricter than 'met {m}'",
                "swap the two thresholds, or make 'exceeded' the stricter one",
            )
        return self


MAX_SCALE_POINTS = 1000


class Scale(_Strict):
    min: int
    max: int
    labels: dict[int, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _order(self) -> Scale:
        if self.min >= self.max:
            raise RuleError(
                f"scale min {self.min} must be below max {self.max}", "swap or correct min and max"
            )
        if self.max - self.min > MAX_SCALE_POINTS:
            raise RuleError(
                f"scale {self.min}–{self.max} has more than {MAX_SCALE_POINTS} answers",
                "survey scales are short (e.g. 1–5, 0–10, 0–100); check min and max for a typo",
            )
        bad = [k for k in self.labels if not self.min <= k <= self.max]
        if bad:
            raise RuleError(
                f"labels {bad} fall outside the scale {self.min}–{self.max}",
                "label only answers from min to max",
            )
        return self


class Survey(_Strict):
    """How answers on a scale map to valence: missed / met / exceeded; met is everything between."""

    question: str | None = None
    scale: Scale
    missed: ConditionText
    exceeded: ConditionText

    @model_validator(mode="after")
    def _bands(self) -> Survey:
        points = range(self.scale.min, self.scale.max + 1)
        missed = [p for p in points if self.missed.holds(p)]
        exceeded = [p for p in points if self.exceeded.holds(p)]
        if not missed or not exceeded:
            raise RuleError(
                f"on the scale {self.scale.min}–{self.scale.max}, 'missed {self.missed}' and "
                f"'exceeded {self.exceeded}' must each cover at least one answer",
                "move the thresholds inside the scale, e.g. missed '<= 2', exceeded '>= 5' on 1–5",
            )
        if max(missed) >= min(exceeded):
            raise RuleError(
                f"'missed {self.missed}' must lie below 'exceeded {self.exceeded}' on the scale",
                "give 'missed' the low answers ('<' or '<=') and 'exceeded' the high ones",
            )
        return self

    def band(self, score: float) -> str:
        if self.missed.holds(score):
            return "missed"
        if self.exceeded.holds(score):
            return "exceeded"
        return "met"


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|h|d|w)\s*$")
_DURATION_UNIT = {"m": 1 / 60, "h": 1.0, "d": 24.0, "w": 168.0}


def duration_hours(text: str) -> float:
    """Hours in a duration written ``"30m"``, ``"48h"``, ``"2d"`` or ``"1w"``."""
    m = _DURATION.match(str(text))
    if not m or float(m.group(1)) <= 0:
        raise RuleError(
            f"'{text}' is not a duration", "write a positive number and a unit: 30m, 48h, 2d or 1w"
        )
    return float(m.group(1)) * _DURATION_UNIT[m.group(2)]


def _duration(text: object) -> str:
    if not isinstance(text, str):
        raise RuleError(f"'{text}' is not a duration", "write a number and a unit, e.g. '48h'")
    duration_hours(text)
    return text.strip()


Duration = Annotated[
    str,
    BeforeValidator(_duration),
    WithJsonSchema({"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(m|h|d|w)\s*$",
                    "examples": ["48h", "2d"]}),
]  # fmt: skip


class Moment(_Strict):
    """A defining moment: where the customer judges how well expectations were met."""

    id: Id
    name: str
    owner: str = Field(description="id of an owner declared in the journey's owners")
    importance: int = Field(3, ge=1, le=5, description="stated importance, 1 (low) to 5 (key)")
    kind: Literal["basic", "differentiator"] = "basic"
    description: str = ""
    standard: Standard | None = None
    survey: Survey | None = None
    playbook: str | None = None
    sla: Duration | None = Field(
        None,
        description="how soon a case opened for a negative here must be closed, e.g. '48h', "
        "'2d' (default 72h)",
    )
    keywords: list[str] = Field(default_factory=list)
    examples: list[str] = Field(
        default_factory=list,
        description="phrases customers use about this moment, e.g. 'the parcel never came': "
        "comments like them are routed here (moments text train --journey)",
    )


class Touchpoint(_Strict):
    id: Id
    name: str
    channel: Channel
    moments: list[Moment] = Field(min_length=1)


class Stage(_Strict):
    id: Id
    name: str
    touchpoints: list[Touchpoint] = Field(min_length=1)


class Journey(_Strict):
    """A journey map, written as a YAML file and validated here."""

    id: Id
    name: str
    description: str = ""
    timezone: str = Field(
        "UTC",
        description="IANA time zone where the moments happen (e.g. Europe/London): the "
        "weekday and hour of the consistency analysis are read in it",
    )
    owners: list[Owner] = Field(min_length=1)
    measures: dict[str, Measure] = Field(default_factory=dict)
    survey: Survey | None = Field(None, description="default survey for moments without one")
    stages: list[Stage] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone '{v}': use an IANA name such as Europe/London or UTC"
            ) from None
        return v

    def moments(self) -> list[tuple[Stage, Touchpoint, Moment]]:
        return [(s, t, m) for s in self.stages for t in s.touchpoints for m in t.moments]

    def owner(self, owner_id: str) -> Owner:
        return next(o for o in self.owners if o.id == owner_id)

    def survey_for(self, moment: Moment) -> Survey | None:
        return moment.survey or self.survey
