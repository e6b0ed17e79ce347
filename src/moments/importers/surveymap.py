"""MAP.yaml: which columns of a survey export are the respondent, the date, each moment's
rating, the comments and the outcomes — validated with every problem at file:line:column.

A map is written for one journey (``moments map suggest`` writes a first one)::

    journey: hotel-stay              # the journey's id (checked when given)
    respondent: ResponseId           # or {column: ResponseId, customer: Email}
    date: {column: RecordedDate, format: "%d/%m/%Y %H:%M", timezone: Europe/Paris}
    scale: 1-5                       # every rating's scale, unless a moment says otherwise
    not_applicable: [0, N/A]         # answers that are no answer (blank never is one)
    moments:
      check-in: "How was check-in?"  # the rating's column
      room: {rating: {column: Q7, scale: [Very poor, Poor, Fair, Good, Excellent]}}
      arrival: {measures: {wait_minutes: "Minutes waited"}}
    comments:
      - {column: "Anything else?", moment: any}
    outcomes:
      - {column: Overall, type: satisfaction, scale: 0-10}
      - {column: "Would you come back?", type: return_intent, scale: [No, Maybe, Yes]}
      - {column: Churned, type: defection}    # a happening: an event where the answer is yes

Checks that need the journey (moments, measures, survey scales) or the export (its columns)
run in :func:`check_map`, with the same file:line:column.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from moments.errors import InputError, Problem
from moments.importers.scales import AnswerScale, ScaleSpec, normal
from moments.journey.loader import Positions, dotted, parse_yaml, pydantic_problems, read_text
from moments.journey.model import Id, Journey, RuleError
from moments.store.schema import OUTCOME_TYPES, RATED_OUTCOMES

OutcomeType = Literal[
    "purchase", "repeat_purchase", "referral", "review", "social_post", "defection",
    "satisfaction", "recommendation", "return_intent",
]  # fmt: skip
assert set(get_args(OutcomeType)) == set(OUTCOME_TYPES)
NOT_APPLICABLE = ("N/A", "NA", "Not applicable")
YES = ("yes", "y", "true", "1")
NO = ("no", "n", "false", "0")
ANY = "any"
_FIX = "correct this value (see the MAP.yaml section of the README)"


def _column(v: object) -> object:
    return {"column": v} if isinstance(v, (str, int, float)) and not isinstance(v, bool) else v


def _listed(v: object) -> object:
    return [v] if isinstance(v, (str, int, float)) and not isinstance(v, bool) else v


Column = Annotated[str, Field(min_length=1, description="a column's name in the header row")]
Answers = Annotated[list[str], BeforeValidator(_listed)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class Respondent(_Strict):
    """Who answered: the column with each respondent's id (one row each)."""

    column: Column
    customer: Column | None = Field(
        None, description="a column with the customer id, when it is not the respondent id"
    )
    plural: str = Field("respondents", description="how the summary counts them")


class Dates(_Strict):
    """When each row was answered: a column (ISO 8601, or ``format``), or one ``value``."""

    column: Column | None = None
    value: str | None = Field(None, description="one date for every row, when there is none")
    format: str | None = Field(None, description="strptime format, e.g. '%d/%m/%Y %H:%M'")
    timezone: str | None = Field(
        None, description="IANA zone of dates written without one (default: the journey's)"
    )

    @model_validator(mode="after")
    def _one(self) -> Dates:
        if (self.column is None) == (self.value is None):
            raise RuleError(
                "give the date's 'column', or one 'value' for every row",
                "write e.g. date: RecordedDate, or date: {value: '2024-05-01'}",
            )
        if self.timezone is not None:
            try:
                zoneinfo.ZoneInfo(self.timezone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise RuleError(
                    f"unknown time zone '{self.timezone}'",
                    "use an IANA name such as Europe/London or UTC",
                ) from None
        if self.value is not None and parse_date(self.value, self.format) is None:
            raise RuleError(
                f"'{self.value}' is not a date"
                + (f" in the format '{self.format}'" if self.format else ""),
                "write it as 2024-05-01, or 2024-05-01T09:00:00+02:00",
            )
        return self


class Rating(_Strict):
    """A moment's rating: its column, and its scale and not-applicable answers if they are not
    the map's."""

    column: Column
    scale: ScaleSpec | None = None
    not_applicable: Answers | None = None


class MeasureColumn(_Strict):
    column: Column
    missing: str | None = Field(
        None, description="count the rows without a value in the summary, under this label"
    )


class MomentColumns(_Strict):
    """What a moment takes from each row: a rating, and measures its interaction carries."""

    rating: Annotated[Rating | None, BeforeValidator(_column)] = None
    measures: dict[str, Annotated[MeasureColumn, BeforeValidator(_column)]] = Field(
        default_factory=dict
    )

    @model_validator(mode="after")
    def _something(self) -> MomentColumns:
        if self.rating is None and not self.measures:
            raise RuleError(
                "a moment needs a 'rating' column or 'measures'", "add one, or remove the moment"
            )
        return self


def _moment(v: object) -> object:
    return {"rating": v} if isinstance(v, (str, int, float)) and not isinstance(v, bool) else v


class Comment(_Strict):
    """A free-text column, about one moment or about the whole experience (``any``)."""

    column: Column
    moment: str = ANY
    id: Id | None = Field(None, description="names its events (default: the moment id)")

    @property
    def suffix(self) -> str:
        return self.id or ("comment" if self.moment == ANY else f"{self.moment}-comment")


class Outcome(_Strict):
    """An outcome column. An answer (satisfaction, recommendation, return_intent) is rescaled
    from its ``scale`` to 0–1; a happening (defection, repeat_purchase …) becomes an event
    where the answer is one of ``yes``, none where it is one of ``no``."""

    column: Column
    type: OutcomeType
    id: Id | None = Field(None, description="names its events (default: the type)")
    scale: ScaleSpec | None = None
    not_applicable: Answers | None = None
    yes: Answers | None = None
    no: Answers | None = None
    days_after: int | None = Field(
        None, ge=0, description="a happening is dated this many days after the answer (1)"
    )

    @property
    def rated(self) -> bool:
        return self.type in RATED_OUTCOMES

    @property
    def suffix(self) -> str:
        return self.id or self.type

    @model_validator(mode="after")
    def _fits(self) -> Outcome:
        if self.rated:
            if self.scale is None:
                raise RuleError(
                    f"a {self.type} answer needs its 'scale'",
                    "add e.g. scale: 0-10, or the labels worst first",
                )
            extra = [k for k in ("yes", "no", "days_after") if getattr(self, k) is not None]
            if extra:
                raise RuleError(
                    f"'{extra[0]}' is for happenings; a {self.type} answer is rescaled to 0–1",
                    f"remove '{extra[0]}'",
                )
        elif self.scale is not None:
            raise RuleError(
                f"'{self.type}' is a happening (yes or no), not an answer on a scale",
                "remove 'scale' and list the answers that mean it happened under 'yes', or "
                f"use a rated type ({', '.join(RATED_OUTCOMES)})",
            )
        return self

    def yes_no(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(self.yes or YES), tuple(self.no or NO)


class Profile(_Strict):
    """Columns of the respondent's profile; ``segment`` joins several with ``separator``."""

    segment: Annotated[list[Column], BeforeValidator(_listed)] = Field(default_factory=list)
    separator: str = " · "
    email: Column | None = None
    phone: Column | None = None
    time_zone: Column | None = None


class SurveyMap(_Strict):
    """How a wide survey export (one row per respondent) becomes events of a journey."""

    name: str | None = Field(None, description="what the summary calls the data")
    journey: Id | None = Field(None, description="the id of the journey it maps onto")
    id_prefix: str | None = Field(
        None, description="starts every event id (default: the journey id and '-')"
    )
    respondent: Annotated[Respondent, BeforeValidator(_column)]
    date: Annotated[Dates, BeforeValidator(_column)]
    scale: ScaleSpec | None = Field(
        None, description="every rating's scale (default: the journey's)"
    )
    not_applicable: Answers = Field(default_factory=lambda: list(NOT_APPLICABLE))
    lived: Literal["every_row", "answered"] = Field(
        "every_row",
        description="every_row: each moment is lived by every respondent (no answer = "
        "unknown); answered: only a rated answer makes a lived moment",
    )
    moments: dict[Id, Annotated[MomentColumns, BeforeValidator(_moment)]] = Field(
        default_factory=dict
    )
    comments: list[Comment] = Field(default_factory=list)
    outcomes: list[Outcome] = Field(default_factory=list)
    profile: Profile | None = None

    @model_validator(mode="after")
    def _anything(self) -> SurveyMap:
        if not self.moments and not self.outcomes:
            raise RuleError(
                "the map names no moment and no outcome", "add the moments' rating columns"
            )
        return self

    def prefix(self, journey_id: str) -> str:
        return self.id_prefix if self.id_prefix is not None else f"{journey_id}-"

    def columns(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Every column the map names, with the path where it is named."""
        out: list[tuple[tuple[str | int, ...], str]] = [
            (("respondent", "column"), self.respondent.column)
        ]
        if self.respondent.customer:
            out.append((("respondent", "customer"), self.respondent.customer))
        if self.date.column:
            out.append((("date", "column"), self.date.column))
        for mid, m in self.moments.items():
            if m.rating is not None:
                out.append((("moments", mid, "rating", "column"), m.rating.column))
            for name, mc in m.measures.items():
                out.append((("moments", mid, "measures", name, "column"), mc.column))
        for i, c in enumerate(self.comments):
            out.append((("comments", i, "column"), c.column))
        for i, o in enumerate(self.outcomes):
            out.append((("outcomes", i, "column"), o.column))
        if self.profile is not None:
            for i, s in enumerate(self.profile.segment):
                out.append((("profile", "segment", i), s))
            for key in ("email", "phone", "time_zone"):
                col = getattr(self.profile, key)
                if col:
                    out.append((("profile", key), col))
        return out


def parse_date(text: str, fmt: str | None) -> _dt.datetime | None:
    """A date as written (ISO 8601, or ``fmt``), or None; zone-aware only if it says its zone."""
    s = text.strip()
    try:
        if fmt:
            return _dt.datetime.strptime(s, fmt)
        return _dt.datetime.fromisoformat(s.replace(" Z", "Z"))
    except ValueError:
        return None


# -- reading -----------------------------------------------------------------------------------
@dataclass
class MapFile:
    """A validated map and where each of its values is written (for later checks)."""

    map: SurveyMap
    file: str
    pos: Positions

    def at(self, path: Sequence[str | int], what: str, fix: str) -> Problem:
        lc = self.pos.near(tuple(path))
        return Problem(
            what, fix, self.file, lc[0] if lc else None, lc[1] if lc else None, dotted(path) or None
        )


def load_map_text(text: str, file: str = "<map>") -> MapFile:
    """Validate MAP.yaml text; raise ``InputError`` listing every problem found."""
    data, pos = parse_yaml(text, file, what="a survey map", as_written=True)
    if not isinstance(data, dict):
        line, column = pos.get((), (None, None))
        raise InputError(
            Problem(
                "a survey map must be a mapping with respondent, date and moments",
                "write 'name: value' lines at the top level (moments map suggest writes one)",
                file,
                line,
                column,
            )
        )
    try:
        return MapFile(SurveyMap.model_validate(data), file, pos)
    except ValidationError as err:
        problems = pydantic_problems(err, file, pos, otherwise=_FIX)
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))
        raise InputError(problems) from None


def load_map(path: str | Path) -> MapFile:
    """Read and validate a MAP.yaml file."""
    return load_map_text(read_text(path), str(path))


# -- checks against the journey and the export -------------------------------------------------
def _close(word: str, options: Sequence[str]) -> str:
    near = difflib.get_close_matches(word, list(options), n=3, cutoff=0.5)
    if not near:
        lowered = {normal(o): o for o in options}
        near = [lowered[normal(word)]] if normal(word) in lowered else []
    return f"did you mean {' or '.join(repr(n) for n in near)}?" if near else ""


def rating_scale(m: SurveyMap, mid: str, journey: Journey) -> AnswerScale | None:
    """The scale of a moment's answers in the export: the rating's, the map's, or the
    journey's survey scale; labels are numbered onto the journey's scale."""
    rating = m.moments[mid].rating
    if rating is None:
        return None
    survey = _survey(journey, mid)
    if survey is None:
        return None
    scale = rating.scale or m.scale or AnswerScale(low=survey.scale.min, high=survey.scale.max)
    return scale.onto(survey.scale.min)


def _survey(journey: Journey, mid: str) -> Any:
    for _, _, moment in journey.moments():
        if moment.id == mid:
            return journey.survey_for(moment)
    return None


def check_map(
    mf: MapFile, journey: Journey, header: Sequence[str] | None = None, source: str = ""
) -> list[Problem]:
    """What the map gets wrong about the journey (and about the export's ``header``)."""
    m, problems = mf.map, []
    known = {mo.id: mo for _, _, mo in journey.moments()}
    if m.journey is not None and m.journey != journey.id:
        problems.append(
            mf.at(
                ("journey",),
                f"the map is for journey '{m.journey}', not '{journey.id}'",
                f"give the journey '{m.journey}', or write journey: {journey.id}",
            )
        )
    for mid, cols in m.moments.items():
        path = ("moments", mid)
        if mid not in known:
            hint = _close(mid, list(known))
            problems.append(
                _key(
                    mf,
                    path,
                    f"journey '{journey.id}' has no moment '{mid}'",
                    hint or f"its moments are: {', '.join(known)}",
                )
            )
            continue
        for name in cols.measures:
            if name not in journey.measures:
                declared = ", ".join(journey.measures) or "none"
                problems.append(
                    _key(
                        mf,
                        (*path, "measures", name),
                        f"measure '{name}' is not declared in the journey",
                        f"declare it under the journey's 'measures' (declared: {declared})",
                    )
                )
        if cols.rating is None:
            continue
        survey = _survey(journey, mid)
        rpath = (*path, "rating")
        if survey is None:
            problems.append(
                mf.at(
                    rpath,
                    f"moment '{mid}' has no survey scale in the journey, so its "
                    "answers cannot be judged",
                    "add a 'survey' (scale, missed, exceeded) to the journey or the moment",
                )
            )
            continue
        given = cols.rating.scale or m.scale
        where = (*rpath, "scale") if cols.rating.scale else ("scale",)
        lo, hi = survey.scale.min, survey.scale.max
        if given is not None and given.labels and len(given.labels) != hi - lo + 1:
            problems.append(
                mf.at(
                    where,
                    f"{len(given.labels)} labels for moment '{mid}', whose survey "
                    f"scale {lo}–{hi} has {hi - lo + 1} answers",
                    "list one label per answer, or give the moment its own survey scale in "
                    "the journey",
                )
            )
        elif given is not None and not given.labels and (given.low, given.high) != (lo, hi):
            problems.append(
                mf.at(
                    where,
                    f"answers on {given} for moment '{mid}', whose survey scale in the "
                    f"journey is {lo}–{hi}",
                    f"give the moment a survey on {given} in the journey (scale {{min: "
                    f"{given.low}, max: {given.high}}} with its missed and exceeded bands)",
                )
            )
    for i, c in enumerate(m.comments):
        if c.moment != ANY and c.moment not in known:
            hint = _close(c.moment, list(known))
            problems.append(
                mf.at(
                    ("comments", i, "moment"),
                    f"journey '{journey.id}' has no moment '{c.moment}'",
                    hint or f"use 'any' or one of: {', '.join(known)}",
                )
            )
    problems += _unique_ids(mf)
    if header is not None:
        problems += missing_columns(mf, header, source)
    return problems


def _key(mf: MapFile, path: Sequence[str | int], what: str, fix: str) -> Problem:
    """A problem pointing at a mapping key (a moment or measure named in the map)."""
    lc = mf.pos.key_at.get(tuple(path)) or mf.pos.near(tuple(path))
    return Problem(what, fix, mf.file, lc[0] if lc else None, lc[1] if lc else None, dotted(path))


def event_suffixes(m: SurveyMap) -> list[tuple[tuple[str | int, ...], str]]:
    """Each kind of event a row makes, by the end of its id: the moments (interaction and
    answer), the comments, the outcomes and the profile."""
    out: list[tuple[tuple[str | int, ...], str]] = [(("respondent",), "profile")]
    for mid in m.moments:
        out += [(("moments", mid), mid), (("moments", mid), f"{mid}-answer")]
    out += [(("comments", i), c.suffix) for i, c in enumerate(m.comments)]
    out += [(("outcomes", i), o.suffix) for i, o in enumerate(m.outcomes)]
    return out


def _unique_ids(mf: MapFile) -> list[Problem]:
    seen: dict[str, tuple[str | int, ...]] = {}
    problems = []
    for path, suffix in event_suffixes(mf.map):
        if suffix in seen and seen[suffix] != path:
            problems.append(
                mf.at(
                    path,
                    f"its events would have the same ids as those of "
                    f"{dotted(seen[suffix])} (…-{suffix})",
                    "give one of them its own 'id'",
                )
            )
        seen.setdefault(suffix, path)
    return problems


def missing_columns(mf: MapFile, header: Sequence[str], source: str = "") -> list[Problem]:
    """Each column the map names that ``header`` lacks, where the map names it."""
    have = set(header)
    problems = []
    for path, column in mf.map.columns():
        if column not in have:
            hint = _close(column, header)
            problems.append(
                mf.at(
                    path,
                    f"the export {source + ' ' if source else ''}has no column '{column}'",
                    hint or "check the column's name in the header row",
                )
            )
    return problems


def raise_problems(problems: list[Problem]) -> None:
    if problems:
        problems.sort(key=lambda p: (p.file or "", p.line or 0, p.column or 0))
        raise InputError(problems)


def moment_columns(m: SurveyMap) -> Mapping[str, str]:
    """{moment id: its rating column}."""
    return {mid: c.rating.column for mid, c in m.moments.items() if c.rating is not None}
