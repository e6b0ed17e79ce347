"""Answer scales of survey exports: numeric ranges (1–5, 0–10) and ordered labels.

In MAP.yaml a scale is written

- as a range: ``"1-5"``, ``"1–5"``, ``"0..10"``, ``"1 to 7"``, or ``{min: 1, max: 5}``;
- as labels, worst first: ``[Very dissatisfied, Dissatisfied, Neither, Satisfied, Very
  satisfied]`` (the answers 1 to 5), or ``{labels: [...], min: 0}`` to number them from 0.

Answers are matched to labels ignoring case and runs of spaces. On a range, an answer may
carry its label after the number, as exports write the end points (``"10 - Extremely
likely"`` is 10).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema

from moments.journey.model import MAX_SCALE_POINTS, RuleError

_RANGE = re.compile(r"^\s*([+-]?\d+)\s*(?:-|–|—|\.\.|to)\s*([+-]?\d+)\s*$", re.IGNORECASE)
_ELLIPSIS = re.compile(r"\S\s*(?:…|\.\.\.)\s*\S")
# a number at the start of an answer, alone or followed by its label ("10 - Extremely likely")
LEADING_NUMBER = r"^\s*(?P<n>[+-]?(?:\d+(?:\.\d+)?|\.\d+))(?:\s*$|\s*[-–—:=.)]?\s+\D)"
RANGE_PATTERN = r"^\s*[+-]?\d+\s*(-|–|—|\.\.|to)\s*[+-]?\d+\s*$"


_SPACES = r"[\t\n\v\f\r ]+"


def normal(text: str) -> str:
    """How answers and labels are compared: trimmed, lower case, single spaces."""
    return re.sub(_SPACES, " ", text.strip()).lower()


def normalised(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """:func:`normal`, element-wise (worked out once per distinct answer, by Python's rules)."""
    distinct = pc.unique(values).drop_null()
    forms = pa.array([normal(v) for v in distinct.to_pylist()], pa.string())
    return pc.take(forms, pc.index_in(values, value_set=distinct))


class AnswerScale(BaseModel):
    """A scale: answers ``low`` to ``high``; with ``labels``, the i-th label is ``low + i``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    low: int
    high: int
    labels: tuple[str, ...] = ()

    @property
    def points(self) -> int:
        return self.high - self.low + 1

    def __str__(self) -> str:
        if self.labels:
            return f"{self.labels[0]} … {self.labels[-1]} ({self.points} labels)"
        return f"{self.low}–{self.high}"

    def expected(self) -> str:
        """What an answer must be, for a message."""
        if not self.labels:
            return f"a number from {self.low} to {self.high}"
        shown = list(self.labels) if len(self.labels) <= 7 else [*self.labels[:3], "…"]
        return "one of: " + ", ".join(shown)

    def spec(self) -> str | list[str] | dict[str, Any]:
        """How MAP.yaml writes this scale (``parse_scale(s.spec()) == s``)."""
        if not self.labels:
            return f"{self.low}-{self.high}"
        if self.low == 1:
            return list(self.labels)
        return {"labels": list(self.labels), "min": self.low}

    def onto(self, low: int) -> AnswerScale:
        """The same labels numbered from ``low`` (a journey's scale); a range as it is."""
        if not self.labels:
            return self
        return AnswerScale(low=low, high=low + len(self.labels) - 1, labels=self.labels)

    def number(self, answer: str | None) -> float | None:
        """The answer as a number on this scale, or None if it is no answer of the scale."""
        if answer is None:
            return None
        if self.labels:
            wanted = normal(answer)
            for i, label in enumerate(self.labels):
                if normal(label) == wanted:
                    return float(self.low + i)
            return None
        m = re.match(LEADING_NUMBER, answer)
        if m is None:
            return None
        x = float(m.group("n"))
        return x if self.low <= x <= self.high else None

    def numbers(self, answers: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
        """Element-wise :meth:`number` as text as written for a range (``"7"`` stays ``"7"``,
        so that a value outside the scale is reported as written), the label's number for
        labels; null where the answer is no number or no label of the scale."""
        if self.labels:
            keys = pa.array([normal(x) for x in self.labels])
            idx = pc.index_in(normalised(answers), value_set=keys)
            return pc.cast(pc.add(idx, self.low), pa.string())
        found = pc.extract_regex(answers, LEADING_NUMBER)
        return pc.struct_field(found, "n")

    def share(self, x: float) -> float:
        """The answer rescaled to 0–1, 1 = best."""
        return (x - self.low) / (self.high - self.low)


def parse_scale(spec: object) -> AnswerScale:
    """A scale from how MAP.yaml writes it; raises ``RuleError`` saying how to write it."""
    if isinstance(spec, AnswerScale):
        return spec
    if isinstance(spec, str):
        m = _RANGE.match(spec)
        if m:
            return _range(int(m.group(1)), int(m.group(2)))
        if _ELLIPSIS.search(spec):
            raise RuleError(
                f"'{spec}' leaves out the labels between the first and the last",
                "write every label as a list, worst first, e.g. [Very dissatisfied, "
                "Dissatisfied, Neither, Satisfied, Very satisfied]",
            )
        raise RuleError(
            f"'{spec}' is not a scale",
            "write a range such as '1-5' or '0-10', or the labels as a list, worst first",
        )
    if isinstance(spec, list):
        return _labels(spec, 1)
    if isinstance(spec, dict):
        keys = set(spec)
        if keys == {"min", "max"}:
            return _range(_whole(spec["min"], "min"), _whole(spec["max"], "max"))
        if "labels" in keys and keys <= {"labels", "min"}:
            labels = spec["labels"]
            if not isinstance(labels, list):
                raise RuleError(
                    "'labels' must be a list", "write the labels as a list, worst first"
                )
            return _labels(labels, _whole(spec.get("min", 1), "min"))
        raise RuleError(
            "a scale has 'min' and 'max', or 'labels' (and 'min'); "
            f"got {', '.join(map(str, keys))}",
            "write {min: 1, max: 5}, or {labels: [...], min: 0}",
        )
    raise RuleError(
        f"{spec!r} is not a scale",
        "write a range such as '1-5', or the labels as a list, worst first",
    )


def _whole(v: object, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise RuleError(f"scale {name} {v!r} is not a whole number", f"write {name} as e.g. 1")
    return v


def _range(low: int, high: int) -> AnswerScale:
    if low >= high:
        raise RuleError(f"scale {low}–{high}: the first number must be the lower", "write e.g. 1-5")
    if high - low > MAX_SCALE_POINTS:
        raise RuleError(
            f"scale {low}–{high} has more than {MAX_SCALE_POINTS} answers",
            "survey scales are short (e.g. 1–5, 0–10); check for a typo",
        )
    return AnswerScale(low=low, high=high)


def _labels(items: list[Any], low: int) -> AnswerScale:
    labels = tuple(str(x).strip() for x in items)
    if len(labels) < 2:
        raise RuleError("a scale needs at least two labels", "list every answer, worst first")
    if any(not x for x in labels):
        raise RuleError("a label is empty", "remove it, or write the answer's text")
    seen: dict[str, str] = {}
    for x in labels:
        if normal(x) in seen:
            raise RuleError(
                f"labels '{seen[normal(x)]}' and '{x}' are the same answer",
                "give each answer once (case and spaces are ignored when matching)",
            )
        seen[normal(x)] = x
    if len(labels) > MAX_SCALE_POINTS:
        raise RuleError(f"more than {MAX_SCALE_POINTS} labels", "survey scales are short")
    return AnswerScale(low=low, high=low + len(labels) - 1, labels=labels)


ScaleSpec = Annotated[
    AnswerScale,
    BeforeValidator(parse_scale),
    PlainSerializer(lambda s: s.spec()),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": RANGE_PATTERN, "examples": ["1-5", "0-10"]},
                {"type": "array", "items": {"type": "string"}, "minItems": 2},
                {
                    "type": "object",
                    "properties": {"min": {"type": "integer"}, "max": {"type": "integer"}},
                    "required": ["min", "max"],
                },
                {
                    "type": "object",
                    "properties": {
                        "labels": {"type": "array", "items": {"type": "string"}},
                        "min": {"type": "integer"},
                    },
                    "required": ["labels"],
                },
            ]
        }
    ),
]
