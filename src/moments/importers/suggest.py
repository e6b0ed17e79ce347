"""Write a first MAP.yaml for a survey export: ``moments map suggest FILE --journey J``.

Each column is profiled (how many values, how many distinct, numbers or words, dates, long
text) and given a role:

- the **respondent**: a column named like an id whose values are all different;
- the **date**: a column named like a date whose values read as dates (ISO 8601 or a common
  format such as ``%d/%m/%Y %H:%M``, which the map then names);
- **outcomes**: columns named like overall satisfaction, recommend / NPS, come back / buy again,
  churn / cancelled;
- **ratings**: columns whose answers look like a scale (a small range of whole numbers, or words
  that order from bad to good), matched to the journey's moments by name, id and keywords
  (difflib's ratio, and the words they share; Qualtrics' question texts count too);
- **measures**: numeric columns named like a measure a moment's standard uses;
- **comments**: long free text, about the moment its header names, else about any.

Nothing is certain, so the file says what was guessed, and the columns left out, for the user to
edit; ``moments import survey`` then checks it.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from moments.errors import Problem
from moments.importers.exports import Export
from moments.importers.scales import LEADING_NUMBER, AnswerScale, normal
from moments.importers.surveymap import NO, NOT_APPLICABLE, YES, check_map, load_map_text
from moments.journey.model import Journey

MATCH = 0.5  # the least score that maps a column to a moment
MEASURE_MATCH = 0.6  # … a numeric column to a measure that a moment's standard uses
NA_WORDS = {
    normal(x)
    for x in (
        *NOT_APPLICABLE, "n.a.", "does not apply", "did not use", "didn't use", "not used",
        "don't know", "dont know", "no opinion", "prefer not to say", "-",
    )
}  # fmt: skip
DATE_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%d %b %Y",
    "%b %d, %Y",
)
ID_NAME = re.compile(
    r"^(_?id|response ?id|respondent( ?id)?|record ?id|customer ?(id|number|no)|client ?id|"
    r"user ?id|participant( ?id)?|member ?id|guest ?id|passenger ?id|ticket)$"
)
DATE_NAME = re.compile(r"date|time|submitted|recorded|timestamp|completed|created|^end|^start")
DATE_PREFERRED = ("recordeddate", "enddate", "submitdate", "submitted", "date", "startdate")
OUTCOMES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("recommendation", re.compile(r"recommend|\bnps\b|net promoter|tell (a )?friend")),
    (
        "return_intent",
        re.compile(r"come back|\breturn|again|revisit|repurchase|rebook|renew|intent|loyal"),
    ),
    ("defection", re.compile(r"churn|cancel|defect|\bleft\b|closed (the )?account|switched")),
    ("satisfaction", re.compile(r"satisf|overall|\bcsat\b|general")),
)
COMMENT_NAME = re.compile(
    r"comment|feedback|remark|suggest|improve|why|explain|tell us|anything else|other|text|note"
)
STOP = {
    "the", "and", "was", "were", "are", "with", "you", "your", "how", "for", "our", "did",
    "does", "its", "this", "that", "what", "from", "has", "have", "had", "rate", "rating",
    "please", "would", "about", "satisfied", "satisfaction", "experience", "there", "enough",
}  # fmt: skip
# words that order answer labels, bad (< 0) to good (> 0)
POLARITY = {
    "satisfied": 1, "dissatisfied": -1, "unsatisfied": -1, "good": 1, "great": 1.5,
    "excellent": 3, "outstanding": 3, "superb": 3, "poor": -1, "bad": -1, "terrible": -2,
    "awful": -2, "agree": 1, "disagree": -1, "likely": 1, "unlikely": -1, "yes": 1, "no": -1,
    "happy": 1, "unhappy": -1, "easy": 1, "difficult": -1, "hard": -1, "fast": 1, "slow": -1,
    "definitely": 2, "certainly": 2, "probably": 1, "pleased": 1, "displeased": -1,
    "acceptable": 0.5, "unacceptable": -1.5, "important": 1, "unimportant": -1, "better": 1,
    "worse": -1, "best": 2, "worst": -2, "love": 2, "hate": -2, "always": 1,
}  # fmt: skip
NEUTRAL = {
    "neither",
    "neutral",
    "fair",
    "average",
    "ok",
    "okay",
    "maybe",
    "unsure",
    "might",
    "sometimes",
    "undecided",
    "indifferent",
    "mixed",
}
MIDDLES = ("neither", "neutral", "neither nor", "neither/nor", "undecided", "not sure")
# common answer sets, worst first: labels seen in a column that are part of one are completed
KNOWN = tuple(
    tuple(x.split("|"))
    for x in (
        "Very dissatisfied|Dissatisfied|Neither satisfied nor dissatisfied|Satisfied|"
        "Very satisfied",
        "Extremely dissatisfied|Somewhat dissatisfied|Neither satisfied nor dissatisfied|"
        "Somewhat satisfied|Extremely satisfied",
        "Very poor|Poor|Fair|Good|Excellent",
        "Poor|Fair|Good|Very good|Excellent",
        "Strongly disagree|Disagree|Neither agree nor disagree|Agree|Strongly agree",
        "Very unlikely|Unlikely|Neither likely nor unlikely|Likely|Very likely",
        "Definitely not|Probably not|Might or might not|Probably yes|Definitely yes",
        "Definitely will not|Probably will not|Might or might not|Probably will|Definitely will",
    )
)
NEGATIONS = {"not", "never", "without", "hardly"}
INTENSITY = {
    "extremely": 3,
    "completely": 3,
    "totally": 3,
    "very": 2,
    "strongly": 2,
    "highly": 2,
    "moderately": 1.5,
    "quite": 1.5,
    "somewhat": 0.75,
    "fairly": 0.75,
    "slightly": 0.5,
    "a little": 0.5,
    "mostly": 1.5,
}


@dataclass
class Profile:
    """What a column's values look like."""

    name: str
    text: str  # header, and the question text where the export has one
    values: list[str]  # non-empty, trimmed
    distinct: Counter[str]
    numbers: list[float]  # the values that read as numbers (a leading number counts)
    na: set[str]  # values that say "not applicable"

    @property
    def numeric(self) -> bool:
        answers = len(self.values) - sum(self.distinct[x] for x in self.na)
        return answers > 0 and len(self.numbers) >= 0.95 * answers

    @property
    def wholes(self) -> bool:
        return self.numeric and all(float(x).is_integer() for x in self.numbers)

    @property
    def unique(self) -> bool:
        return bool(self.values) and len(self.distinct) == len(self.values)

    @property
    def mean_length(self) -> float:
        return sum(len(v) for v in self.values) / len(self.values) if self.values else 0.0


@dataclass
class Suggestion:
    """A first MAP.yaml, and what was guessed about each column."""

    text: str
    roles: dict[str, str] = field(default_factory=dict)  # column -> what it became
    unmapped: list[str] = field(default_factory=list)
    moments_without: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # left for the user to fix


def profile(export: Export, column: str) -> Profile:
    raw = export.column(column).to_pylist()
    values = [v.strip() for v in raw if v is not None and v.strip()]
    distinct = Counter(values)
    na = {v for v in distinct if normal(v) in NA_WORDS}
    nums = []
    for v in values:
        if v in na:
            continue
        m = re.match(LEADING_NUMBER, v)
        if m:
            nums.append(float(m.group("n")))
    question = export.questions.get(column, "")
    text = column if not question or normal(question) == normal(column) else f"{column} {question}"
    return Profile(column, text, values, distinct, nums, na)


# -- words -------------------------------------------------------------------------------------
def _words(text: str) -> set[str]:
    out = set()
    for w in re.findall(r"[a-z0-9]+", text.casefold()):
        if len(w) < 3 or w in STOP:
            continue
        out.add(w[:-1] if w.endswith("s") and len(w) > 4 else w)
    return out


def similarity(column_text: str, candidates: Sequence[str], keywords: Sequence[str] = ()) -> float:
    """How well a column's header (and question) names a moment: the best of difflib's ratio,
    the words they share (Dice), and a keyword of the moment found in the header."""
    col = " ".join(column_text.casefold().split())
    parts = [col, *[p.strip() for p in re.split(r" - |: |\? ", col) if p.strip()]]
    best = 0.0
    for cand in candidates:
        c = " ".join(cand.casefold().split())
        for p in parts:
            best = max(best, difflib.SequenceMatcher(None, p, c).ratio())
            a, b = _words(p), _words(c)
            if a and b:
                best = max(best, 0.95 * 2 * len(a & b) / (len(a) + len(b)))
    padded = f" {re.sub(r'[^a-z0-9]+', ' ', col)} "
    for k in keywords:
        kw = re.sub(r"[^a-z0-9]+", " ", k.casefold()).strip()
        if kw and f" {kw} " in padded:
            best = max(best, 0.75)
    return best


def _moment_names(journey: Journey) -> dict[str, tuple[list[str], list[str]]]:
    return {
        m.id: ([m.id.replace("-", " ").replace("_", " "), m.name], m.keywords)
        for _, _, m in journey.moments()
    }


# -- scales ------------------------------------------------------------------------------------
def label_score(label: str) -> float | None:
    """Where a label sits from bad (< 0) to good (> 0), from its words; None if unknown."""
    text = label.casefold()
    if re.search(r"\bneither\b.*\bnor\b", text) or normal(text) in NEUTRAL | set(MIDDLES):
        return 0.0
    words = re.findall(r"[a-z']+", text)
    negated = any(w in NEGATIONS or w.endswith("n't") for w in words)
    scores: list[float] = []
    mult = 1.0
    for w in words:
        if w in INTENSITY:
            mult = INTENSITY[w]
        elif w in NEUTRAL:
            scores.append(0.0)
        elif w in POLARITY:
            scores.append(POLARITY[w] * mult)
            mult = 1.0
    if not scores:
        return -1.0 if negated else None
    score = sum(scores) / len(scores)
    return -score if negated else score


_RANGE_HINT = re.compile(r"\(?\b(0|1)\s*(?:-|–|to)\s*(5|7|10|100)\b")


def _known(labels: Sequence[str]) -> tuple[str, ...] | None:
    """A common answer set that holds these labels (its middle may be written 'Neither' or
    'Neutral'), with the labels as the set spells them, or as written for the middle."""
    for known in KNOWN:
        middle = len(known) // 2
        spelled = {normal(k): i for i, k in enumerate(known)}
        spelled |= {a: middle for a in MIDDLES if len(known) % 2}
        if all(normal(v) in spelled for v in labels):
            full = list(known)
            for v in labels:
                i = spelled[normal(v)]
                if normal(v) != normal(known[i]):
                    full[i] = " ".join(v.split())
            if len(set(map(normal, full))) == len(full):
                return tuple(full)
    return None


def guess_scale(p: Profile) -> tuple[AnswerScale | None, list[str], str]:
    """(scale, not-applicable answers, a note) from a column's values."""
    na = sorted(p.na)
    if p.numeric and p.wholes and p.numbers:
        hinted = _RANGE_HINT.search(p.text)
        if hinted and int(hinted.group(1)) < int(hinted.group(2)) <= 100:
            return AnswerScale(low=int(hinted.group(1)), high=int(hinted.group(2))), na, ""
        xs = sorted(p.numbers)
        lo = int(xs[0])
        if lo < 0 or xs[-1] > 1000:
            return None, na, ""
        # the scale that holds nearly every answer: an odd value out is a typo to quarantine
        hi = int(xs[min(len(xs) - 1, int(0.97 * len(xs)))])
        zeros = sum(x == 0 for x in xs)
        if lo == 0 and hi <= 5 and 1 in xs and zeros < 0.2 * len(xs):
            return AnswerScale(low=1, high=5), [*na, "0"], ""  # 0: not applicable
        top = next((t for t in (5, 7, 10) if hi <= t), None)
        if top is None or len(set(xs)) > 11:  # no rating: a count, an amount, a delay
            return None, na, ""
        low = 0 if lo == 0 or top == 10 else 1
        note = "or 1-10? no answer was 0" if top == 10 and lo > 0 else ""
        return AnswerScale(low=low, high=top), na, note
    labels = [v for v in p.distinct if v not in p.na]
    if not 2 <= len(labels) <= 11 or p.mean_length > 40:
        return None, na, ""
    full = _known(labels)
    if full is not None:
        return AnswerScale(low=1, high=len(full), labels=full), na, ""
    scored = {v: label_score(v) for v in labels}
    known = [v for v in labels if scored[v] is not None]
    if len(known) == len(labels) and len({scored[v] for v in labels}) == len(labels):
        ordered = sorted(labels, key=lambda v: scored[v] or 0.0)
        return (
            AnswerScale(low=1, high=len(ordered), labels=tuple(ordered)),
            na,
            ("labels ordered by their words, worst first: check the order"),
        )
    return (
        AnswerScale(low=1, high=len(labels), labels=tuple(sorted(labels))),
        na,
        ("put these labels in order, worst first"),
    )


# -- roles -------------------------------------------------------------------------------------
def _date_format(values: list[str]) -> tuple[bool, str | None]:
    """(whether the values read as dates, the strptime format needed, if any)."""
    sample = values[:500]
    if not sample:
        return False, None

    def iso(v: str) -> bool:
        try:
            _dt.datetime.fromisoformat(v)
        except ValueError:
            return False
        return bool(re.match(r"^\d{4}-\d{2}-\d{2}", v))

    def share(ok: Callable[[str], bool]) -> float:
        return sum(ok(v) for v in sample) / len(sample)

    if share(iso) >= 0.9:  # a few odd values are typos, which the import quarantines
        return True, None
    for fmt in DATE_FORMATS:
        if share(partial(_fits, fmt=fmt)) >= 0.9:
            return True, fmt
    return False, None


def _fits(value: str, *, fmt: str) -> bool:
    try:
        _dt.datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def _respondent(profiles: list[Profile]) -> Profile | None:
    named = [p for p in profiles if ID_NAME.match(normal(p.name)) and p.unique]
    if named:
        return named[0]
    for p in profiles:
        if p.unique and p.mean_length < 40 and not _date_format(p.values)[0]:
            return p
    return None


def _date(profiles: list[Profile]) -> tuple[Profile | None, str | None]:
    found: list[tuple[int, Profile, str | None]] = []
    for p in profiles:
        if not DATE_NAME.search(normal(p.name)) or p.numeric:
            continue
        ok, fmt = _date_format(p.values)
        if ok:
            key = normal(p.name).replace(" ", "")
            rank = DATE_PREFERRED.index(key) if key in DATE_PREFERRED else len(DATE_PREFERRED)
            found.append((rank, p, fmt))
    if not found:
        return None, None
    _, p, fmt = min(found, key=lambda x: x[0])
    return p, fmt


def suggest_map(export: Export, journey: Journey, journey_file: str | None = None) -> Suggestion:
    """A first MAP.yaml for ``export`` onto ``journey``."""
    profiles = [profile(export, c) for c in export.header]
    by_name = {p.name: p for p in profiles}
    roles: dict[str, str] = {}
    lines: list[str] = [
        f"# A first map of {export.path.name} ({export.describe()}) onto journey '{journey.id}',",
        "# written by `moments map suggest`: check every guess, then",
        f"#   moments import survey {export.path.name} --journey "
        f"{journey_file or journey.id + '.yaml'} --map MAP.yaml",
        f"journey: {journey.id}",
    ]
    rid = _respondent(profiles)
    if rid is None:
        lines += ["respondent: FIXME  # no column has a different value in every row"]
    else:
        roles[rid.name] = "respondent"
        lines.append(f"respondent: {_q(rid.name)}")
    free = [p for p in profiles if p.name not in roles]
    date, fmt = _date(free)
    if date is None:
        today = _dt.date.today().isoformat()
        lines.append(
            f'date: {{value: "{today}"}}  # no date column found: every answer is '
            "dated this day; change it to the survey's date"
        )
    else:
        roles[date.name] = "date"
        parts = [f"column: {_q(date.name)}"]
        note = ""
        if fmt:
            parts.append(f"format: {_q(fmt)}")
            swapped = fmt.replace("%d", "%D").replace("%m", "%d").replace("%D", "%m")
            if swapped != fmt and all(_fits(v, fmt=swapped) for v in date.values[:500]):
                note = f"  # or {swapped}? both read these dates: check which comes first"
        zone = export.zones.get(date.name)
        if zone:
            parts.append(f"timezone: {zone}")
        lines.append("date: {" + ", ".join(parts) + "}" + note)

    # outcomes named so in their header (overall satisfaction, recommend …) come first
    outcomes: list[tuple[str, Profile]] = []

    def find_outcomes(use_question: bool) -> None:
        for p in profiles:
            if p.name in roles or not p.values or _date_format(p.values)[0]:
                continue
            said = (p.text if use_question else p.name).casefold()
            kind = next((t for t, rx in OUTCOMES if rx.search(said)), None)
            if kind is not None and _outcome(p, kind, kind) is not None:
                roles[p.name] = f"outcome {kind}"
                outcomes.append((kind, p))

    find_outcomes(use_question=False)

    # ratings: scale-like columns, matched to moments
    names = _moment_names(journey)
    surveys = {m.id: journey.survey_for(m) for _, _, m in journey.moments()}
    scaled = {}
    for p in profiles:
        if p.name in roles or not p.values:
            continue
        scale, na, note = guess_scale(p)
        if scale is not None:
            scaled[p.name] = (scale, na, note)
    pairs = sorted(
        (
            (similarity(by_name[c].text, *names[mid]), c, mid)
            for c in scaled
            for mid in names
            if surveys[mid] is not None
        ),
        reverse=True,
    )
    rated: dict[str, str] = {}
    for score, c, mid in pairs:
        if score < MATCH or c in roles or mid in rated:
            continue
        rated[mid] = c
        roles[c] = f"rating of {mid} ({score:.2f})"
    find_outcomes(use_question=True)  # then those a question text names so

    # measures: numeric columns named like a measure a moment's standard uses
    carriers = {m.standard.measure: m.id for _, _, m in journey.moments() if m.standard is not None}
    measured: dict[str, dict[str, str]] = {}
    options = sorted(
        (
            (
                similarity(p.text, [name.replace("_", " "), journey.measures[name].label]),
                p.name,
                name,
            )
            for p in profiles
            if p.name not in roles and p.numeric
            for name in carriers
            if name in journey.measures
        ),
        reverse=True,
    )
    for score, column, name in options:
        taken = {n for v in measured.values() for n in v}
        if score >= MEASURE_MATCH and column not in roles and name not in taken:
            measured.setdefault(carriers[name], {})[name] = column
            roles[column] = f"measure {name} of {carriers[name]} ({score:.2f})"

    # the not-applicable answers: those of every rating together, unless one is an answer of
    # some rating's scale (0 on 0–10), which then gets its own list
    found = dict.fromkeys([*NOT_APPLICABLE, *[t for c in rated.values() for t in scaled[c][1]]])
    shared_na = tuple(found)
    lines.append(
        "not_applicable: "
        + _flow(list(shared_na))
        + "  # answers that are no answer (a blank never is one)"
    )
    # one scale for every rating, when they share their labels
    scales = {scaled[c][0] for c in rated.values()}
    shared = scales.pop() if len(scales) == 1 and len(rated) > 1 else None
    if shared is not None and shared.labels:
        note = next((scaled[c][2] for c in rated.values() if scaled[c][2]), "")
        lines.append(f"scale: {_flow(shared.spec())}" + (f"  # {note}" if note else ""))
        for c in rated.values():
            scaled[c] = (scaled[c][0], scaled[c][1], "")
    else:
        shared = None
    lines.append("moments:")
    order = [m.id for _, _, m in journey.moments()]
    without = []
    for mid in order:
        if mid not in rated and mid not in measured:
            without.append(mid)
            continue
        lines += _moment(
            mid, rated.get(mid), measured.get(mid, {}), scaled, surveys[mid], shared_na, shared
        )
    if not rated and not measured:
        lines.append("  {}  # no column matched a moment: map them by hand")
    if without:
        lines.append(f"  # no column found for: {', '.join(without)}")

    # comments: long free text (not dates)
    comments: list[tuple[str, str]] = []
    for p in profiles:
        if p.name in roles or not p.values or p.numeric or _date_format(p.values)[0]:
            continue
        named = bool(COMMENT_NAME.search(p.text.casefold()))
        if p.mean_length >= 15 and (named or len(p.distinct) > 0.5 * len(p.values)):
            score, mid = max(
                ((similarity(p.text, *names[m]), m) for m in names), default=(0.0, "any")
            )
            about = mid if score >= 0.7 else "any"
            comments.append((about, p.name))
            roles[p.name] = f"comment on {about}"
    if comments:
        lines.append("comments:")
        seen: set[str] = set()
        for about, column in comments:
            entry = f"column: {_q(column)}, moment: {about}"
            if about in seen:  # a second comment on the same: its events need their own ids
                entry += f", id: {_slug(column)}"
            seen.add(about)
            lines.append(f"  - {{{entry}}}")
    outcome_lines = []
    kinds: set[str] = set()
    for kind, p in outcomes:
        ident = kind if kind not in kinds else f"{kind}-{_slug(p.name)}"
        kinds.add(kind)
        outcome_lines += _outcome(p, kind, ident) or []
    if outcome_lines:
        lines += ["outcomes:", *outcome_lines]
    else:
        lines.append(
            "outcomes: []  # no overall satisfaction / recommend / return column found; the "
            "analyses need one (type: satisfaction, recommendation or return_intent)"
        )
    unmapped = [p.name for p in profiles if p.name not in roles]
    if unmapped:
        lines.append(f"# not mapped: {', '.join(unmapped)}")
        lines.append(
            "# (a segment: profile: {segment: [COLUMN, ...]}; a measure of a moment: "
            "moments: {MOMENT: {measures: {NAME: COLUMN}}}, declared in the journey)"
        )
    text = "\n".join(lines) + "\n"
    problems: list[Problem] = []
    try:
        problems = check_map(load_map_text(text, "MAP.yaml"), journey, export.header)
    except Exception as e:
        problems = getattr(e, "problems", [Problem(str(e))])
    return Suggestion(text, roles, unmapped, without, problems)


def _moment(
    mid: str,
    column: str | None,
    measures: dict[str, str],
    scaled: dict[str, tuple[AnswerScale, list[str], str]],
    survey: Any,
    shared_na: tuple[str, ...],
    shared: AnswerScale | None = None,
) -> list[str]:
    if column is None:
        return [
            f"  {mid}:",
            "    measures: {" + ", ".join(f"{k}: {_q(v)}" for k, v in measures.items()) + "}",
        ]
    scale, _, note = scaled[column]
    extra: dict[str, str] = {}
    journey_scale = (survey.scale.min, survey.scale.max) if survey is not None else None
    if scale == shared:
        pass
    elif scale.labels or (scale.low, scale.high) != journey_scale:
        extra["scale"] = _flow(scale.spec())
        if not scale.labels and journey_scale is not None:
            note = (note + "; " if note else "") + (
                f"the journey's survey scale is {journey_scale[0]}–{journey_scale[1]}: give this "
                "moment its own survey in the journey"
            )
    valid = [t for t in shared_na if scale.number(t) is not None]
    if valid:
        extra["not_applicable"] = _flow([t for t in shared_na if t not in valid])
    comment = f"  # {note}" if note else ""
    if not extra and not measures:
        return [f"  {mid}: {_q(column)}{comment}"]
    out = [
        f"  {mid}:",
        f"    rating: {{column: {_q(column)}"
        + "".join(f", {k}: {v}" for k, v in extra.items())
        + f"}}{comment}",
    ]
    if measures:
        out.append(
            "    measures: {" + ", ".join(f"{k}: {_q(v)}" for k, v in measures.items()) + "}"
        )
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:40] or "column"


def _outcome(p: Profile, kind: str, ident: str) -> list[str] | None:
    if kind == "defection":
        said = {normal(v) for v in p.distinct}
        if not said <= {normal(x) for x in (*YES, *NO)} | {normal(x) for x in p.na}:
            return None
        extra = f", id: {ident}" if ident != kind else ""
        return [
            f"  - {{column: {_q(p.name)}, type: defection, days_after: 1{extra}}}"
            "  # an event where the answer is yes, dated the day after"
        ]
    scale, na, note = guess_scale(p)
    if scale is None:
        return None
    parts = [f"column: {_q(p.name)}", f"type: {kind}", f"scale: {_flow(scale.spec())}"]
    if ident != kind:
        parts.append(f"id: {ident}")
    if na:
        parts.append(f"not_applicable: {_flow(na)}")
    comment = f"  # {note}" if note else ""
    return ["  - {" + ", ".join(parts) + "}" + comment]


_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9 _./()'&+-]*$")
_SPECIAL = {"yes", "no", "on", "off", "true", "false", "null", "y", "n", "~"}


def _q(s: str) -> str:
    """A YAML scalar for ``s``: plain where that reads back as the same text, else quoted."""
    if _PLAIN.match(s) and s.casefold() not in _SPECIAL and not s.endswith(" ") and ": " not in s:
        return s
    return json.dumps(s, ensure_ascii=False)


def _flow(v: object) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_q(str(x)) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_flow(x)}" for k, x in v.items()) + "}"
    if isinstance(v, int):
        return str(v)
    return _q(str(v))
