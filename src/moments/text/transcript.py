"""Transcripts: the customer's valence per turn, at the start and at the end of a conversation.

Did the agent turn it around? For every customer turn we find the valence (negative, neutral,
positive) with a confidence and the evidence words, and the journey's moments it mentions; per
conversation we keep the valence of the customer's first turn and of their last turn after the
agent first answered, and whether a negative start ended positive.

The valence comes from a :class:`ValenceModel`: anything with ``valence(texts)``. The default,
:class:`LexiconValence`, is the VADER lexicon (English, bundled with the ``vaderSentiment``
package, no download) plus a short list of support-conversation cues for a reported failure
("still not working", "hasn't arrived") that carry no emotional word; a trained text backend
can replace it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

import pandas as pd

from moments.errors import InputError
from moments.text.conversation import checked_turns

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from moments.journey.model import Journey

VALENCES = ("negative", "neutral", "positive")
_RANK = {"negative": -1, "neutral": 0, "positive": 1}
MAX_CHARS = 5_000  # longer turns are judged on their first 5,000 characters


class Valence(NamedTuple):
    """One text's valence, a confidence in [0, 1] and the words that carry it."""

    valence: str
    confidence: float
    evidence: tuple[str, ...]


@runtime_checkable
class ValenceModel(Protocol):
    """What the transcript judge needs from a text model."""

    name: str

    def valence(self, texts: Sequence[str]) -> list[Valence]:
        """One :class:`Valence` per text, in order; never raises on odd text."""
        ...


# A failure reported in plain words is a negative moment even with no emotional word in it.
_PROBLEM_CUES = [
    r"\b(?:still|yet)\s+(?:not|no|never|haven'?t|hasn'?t|isn'?t|won'?t|can'?t|doesn'?t|didn'?t|"
    r"nothing)\b",
    r"\bnot\s+(?:working|loading|arrived|received|delivered|showing|responding|fixed|"
    r"able\s+to|letting)\b",
    r"\b(?:can'?t|cannot|unable\s+to|won'?t|doesn'?t|didn'?t|isn'?t|not\s+able\s+to|keeps?)\s+"
    r"(?:\w+\s+){0,2}?(?:log\s?in|sign\s?in|load|work|connect|play|download|find|access|get|"
    r"receive|pay|purchase|buy|order|update|install|open|respond|stop|crash|fail|cancel|contact|"
    r"change|reach|use|see|find|call|book|add|redeem|get\s+through)",
    r"\b(?:never|hasn'?t|haven'?t|has\s+not|have\s+not|didn'?t|did\s+not)\s+(?:\w+\s+)?"
    r"(?:arrived|received|receive|got|get|come|came|shown|showed|heard|responded|been\s+(?:delivered|"
    r"credited|refunded))\b",
    r"\b(?:charged|billed)\s+(?:twice|double|again|me\s+for)\b",
    r"\bno\s+(?:one|response|reply|answer|help|luck|service|signal|internet|wifi|email)\b",
    r"\b(?:delay(?:ed|s)?|cancel(?:l)?ed|broken|outage|error|crash(?:es|ed|ing)?|missing|"
    r"overcharged|stuck|fraud|scam(?:med)?|hacked|hijacked|down|late|lost|wrong|refund|"
    r"unacceptable|useless|ridiculous|joke|worst|disappointed|frustrat\w*|annoy\w*)\b",
    r"\bwhy\s+(?:is|are|was|were|does|do|did|can'?t|won'?t|isn'?t|am\s+i)\b",
    r"\b(?:messed|screwed)\s+up\b|\bon\s+hold\b|\bno\s+longer\b|\bnone\s+of\b|"
    r"\bdon'?t\s+have\b|\bcan'?t\s+leave\b",
    r"\balready\s+(?:did|tried|have|done|called|sent)\b|\bevery\s?time\b",
    r"\b(?:lied|liars?|lying|inept\w*|incompeten\w*|complain\w*|poor|wtf|crap\w*|sucks?)\b|"
    r"\bwhat\s+the\s+(?:heck|hell|f\w*)\b|\bf\*+|\bno{3,}\b",
    r"\b(?:lie|lies|incorrect|not\s+possible|too\s+many\s+times|or\s+not)\b|\?{2,}|"
    r"\bwhat'?s\s+going\s+on\b|\bi(?:'ve|\s+have)?\s+(?:already\s+|even\s+)?tried\b",
]
_RESOLVED_CUES = [
    r"\b(?:that|it|this)\s+(?:worked|works|fixed\s+it|did\s+it)\b",
    r"\b(?:all\s+)?(?:sorted|solved|resolved|fixed)\b(?!\?)",
    r"\bthank(?:s|\s?you)\b|\bcheers\b",
]
# In a support request these words are politeness or topic, not an evaluation of the moment.
_REQUEST_WORDS = (
    "please", "help", "helps", "helped", "helping", "support", "like", "chance", "hope",
    "care", "credit", "credited", "sure", "kindly", "thanks", "thank", "thankyou", "cheers",
    "fine", "safe", "special", "easy", "promote", "free", "lol",
)  # fmt: skip
_NEGATED_RESOLVED = re.compile(
    r"\b(?:not|n'?t|never|hop\w*|if|until|get\s+(?:it|this))\s+(?:\w+\s+){0,2}?"
    r"(?:sorted|solved|resolved|fixed)",
    re.IGNORECASE,
)
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
_MENTION_OR_LINK = re.compile(r"@\w+|https?://\S+")


@cache
def _analyzer(support: bool = True) -> SentimentIntensityAnalyzer:
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:  # pragma: no cover - a core dependency
        raise InputError(
            "the lexicon valence model needs the vaderSentiment package",
            "pip install vaderSentiment",
        ) from None
    analyzer = SentimentIntensityAnalyzer()
    if support:
        analyzer.lexicon = {k: v for k, v in analyzer.lexicon.items() if k not in _REQUEST_WORDS}
    return analyzer


class LexiconValence:
    """VADER's compound score, moved by support cues; English only, ~10,000s of texts/s."""

    name = "lexicon"
    version = "vader-3.3.2+cues-1"

    def __init__(
        self, problem_weight: float = 0.35, resolved_weight: float = 0.3, support: bool = True
    ) -> None:
        """``support=False`` with both weights 0 is plain VADER (the baseline)."""
        self.problem_weight = problem_weight
        self.resolved_weight = resolved_weight
        self.support = support
        self._problems = [re.compile(p, re.IGNORECASE) for p in _PROBLEM_CUES]
        self._resolved = [re.compile(p, re.IGNORECASE) for p in _RESOLVED_CUES]

    def valence(self, texts: Sequence[str]) -> list[Valence]:
        return [self._one(t) for t in texts]

    def _one(self, text: str) -> Valence:
        clean = _MENTION_OR_LINK.sub(" ", str(text)[:MAX_CHARS].translate(_QUOTES)).strip()
        if not clean:
            return Valence("neutral", 0.5, ())
        analyzer = _analyzer(self.support)
        compound = float(analyzer.polarity_scores(clean)["compound"])
        problems = [m.group(0) for p in self._problems for m in p.finditer(clean)]
        resolved = [m.group(0) for p in self._resolved for m in p.finditer(clean)]
        if _NEGATED_RESOLVED.search(clean):
            resolved = [r for r in resolved if r.lower().startswith(("thank", "cheers"))]
        score = compound - self.problem_weight * min(len(problems), 2)
        if resolved and not problems and "?" not in clean:
            score += self.resolved_weight
        score = max(-1.0, min(1.0, score))
        if problems and self.problem_weight and not resolved and score < 0.5:
            score = min(score, -0.05)  # an open problem wins over politeness
        if score <= -0.05:
            label = "negative"
        elif score >= 0.05:
            label = "positive"
        else:
            label = "neutral"
        words = _lexicon_words(analyzer.lexicon, clean, label)
        evidence = tuple(
            dict.fromkeys(
                [*problems, *words]
                if label == "negative"
                else [*resolved, *words]
                if label == "positive"
                else []
            )
        )
        confidence = 0.5 + 0.5 * min(1.0, abs(score)) if label != "neutral" else (
            1.0 - 0.5 * min(1.0, abs(score) / 0.05))  # fmt: skip
        return Valence(label, round(confidence, 3), evidence[:6])


class ModelValence:
    """A trained text model (``moments text train``) as the transcript judge's valence model.

    Per text, the polarity of the model's most confident mention (with ``category``, of that
    category only); ``conflict`` counts as neutral (mixed), no mention as neutral. Works with
    any object whose ``predict(texts, given=None)`` returns, per text, mentions with
    ``polarity``, ``confidence`` and ``evidence``.
    """

    name = "model"

    def __init__(self, model: Any, category: str | None = None) -> None:
        self.model = model
        self.category = category
        describe = getattr(model, "describe", None)
        self.name = f"model:{describe()}" if callable(describe) else "model"

    def valence(self, texts: Sequence[str]) -> list[Valence]:
        clipped = [str(t)[:MAX_CHARS] for t in texts]
        if self.category is None:
            found = self.model.predict(clipped)
        else:
            found = self.model.predict(clipped, given=[[self.category]] * len(clipped))
        out = []
        for mentions in found:
            if not mentions:
                out.append(Valence("neutral", 0.5, ()))
                continue
            best = max(mentions, key=lambda m: m.confidence)
            label = best.polarity if best.polarity in VALENCES else "neutral"
            out.append(Valence(label, round(float(best.confidence), 3), tuple(best.evidence)[:6]))
        return out


def _lexicon_words(lex: dict[str, float], text: str, label: str) -> list[str]:
    """The words of ``text`` whose VADER score has the sign of ``label``, strongest first."""
    if label == "neutral":
        return []
    sign = 1 if label == "positive" else -1
    found = []
    for w in re.findall(r"[\w']+|[^\w\s]{2,}", text.lower()):
        s = lex.get(w)
        if s is not None and s * sign > 0:
            found.append((abs(s), w))
    return [w for _, w in sorted(found, key=lambda x: -x[0])]


# --- moments mentioned ------------------------------------------------------------------------


def journey_keywords(journey: Journey) -> dict[str, list[str]]:
    """Moment id -> its keywords (and its name's words when it has none)."""
    out: dict[str, list[str]] = {}
    for _, _, m in journey.moments():
        out[m.id] = list(m.keywords)
    return out


def _keyword_patterns(moments: Mapping[str, Sequence[str]]) -> list[tuple[str, re.Pattern[str]]]:
    pats = []
    for moment_id, words in moments.items():
        ws = [w.strip() for w in words if w and w.strip()]
        if ws:
            alt = "|".join(re.escape(w) for w in sorted(ws, key=len, reverse=True))
            pats.append((moment_id, re.compile(rf"(?<!\w)(?:{alt})(?!\w)", re.IGNORECASE)))
    return pats


def moments_mentioned(
    texts: Sequence[str], moments: Mapping[str, Sequence[str]]
) -> list[list[tuple[str, tuple[str, ...]]]]:
    """Per text, the moments whose keywords it contains, each with the words found."""
    pats = _keyword_patterns(moments)
    out = []
    for t in texts:
        hits = []
        for moment_id, pat in pats:
            words = tuple(dict.fromkeys(m.group(0).lower() for m in pat.finditer(str(t))))
            if words:
                hits.append((moment_id, words))
        out.append(hits)
    return out


# --- the judge --------------------------------------------------------------------------------


def judge_turns(
    turns: pd.DataFrame,
    model: ValenceModel | None = None,
    moments: Mapping[str, Sequence[str]] | Journey | None = None,
) -> pd.DataFrame:
    """Each customer turn with its valence, confidence, evidence and the moments it mentions.

    ``turns`` are in conversation order (as :func:`read_turns` and :func:`twcs_turns` give
    them). Agent turns are not judged.
    """
    return _judge(checked_turns(turns), model, moments).reset_index(drop=True)


def _judge(
    t: pd.DataFrame,
    model: ValenceModel | None,
    moments: Mapping[str, Sequence[str]] | Journey | None,
) -> pd.DataFrame:
    cust = t[t["role"] == "customer"].copy()
    scored = (model or LexiconValence()).valence(cust["text"].tolist())
    cust["valence"] = [v.valence for v in scored]
    cust["confidence"] = [v.confidence for v in scored]
    cust["evidence"] = ["; ".join(v.evidence) for v in scored]
    kw = journey_keywords(moments) if moments is not None and not isinstance(moments, Mapping) \
        else moments  # fmt: skip
    found = moments_mentioned(cust["text"].tolist(), kw) if kw else [[] for _ in range(len(cust))]
    cust["moments"] = [",".join(m for m, _ in hits) for hits in found]
    cust["moment_evidence"] = [
        "; ".join(f"{m}: {', '.join(ws)}" for m, ws in hits) for hits in found
    ]
    return cust


CONVERSATION_COLUMNS = [
    "conversation_id", "customer_id", "agent_ids", "started_at", "turns", "customer_turns",
    "agent_turns", "start_turn_id", "start_valence", "start_confidence", "start_evidence",
    "end_turn_id", "end_valence", "end_confidence", "end_evidence", "turned_around", "change",
    "moments",
]  # fmt: skip


def judge_conversations(
    turns: pd.DataFrame,
    model: ValenceModel | None = None,
    moments: Mapping[str, Sequence[str]] | Journey | None = None,
) -> pd.DataFrame:
    """One row per conversation: the customer's valence at the start and at the end.

    *The customer* is the author of the first customer turn (others joining in are ignored
    for start and end). *Start* is their first turn; *end* is their last turn after the first
    agent turn, and is empty when they never wrote again after the agent answered.
    ``turned_around`` is True when a negative start ends positive, False when it ends
    otherwise, and empty when the start was not negative or there is no end; ``change`` is
    end minus start on -1/0/+1.
    """
    t = checked_turns(turns).reset_index(drop=True)
    judged = _judge(t, model, moments)  # indexed like t
    verdict = {
        int(i): (r["turn_id"], r["valence"], r["confidence"], r["evidence"], r["moments"])
        for i, r in zip(judged.index, judged.to_dict(orient="records"), strict=True)
    }
    groups: dict[object, list[int]] = {}
    for i, c in enumerate(t["conversation_id"].tolist()):
        groups.setdefault(c, []).append(i)
    roles, speakers, times = t["role"].tolist(), t["speaker_id"].tolist(), t["time"].tolist()
    rows = []
    for conv_id, idx in groups.items():
        cust = [i for i in idx if roles[i] == "customer"]
        agents = [i for i in idx if roles[i] == "agent"]
        stamps = [times[i] for i in idx if not _missing(times[i])]
        row: dict[str, object] = dict.fromkeys(CONVERSATION_COLUMNS)
        row.update(
            conversation_id=conv_id,
            agent_ids=",".join(dict.fromkeys(str(speakers[i]) for i in agents
                                             if not _missing(speakers[i]))),
            started_at=min(stamps) if stamps else None,
            turns=len(idx),
            customer_turns=len(cust),
            agent_turns=len(agents),
        )  # fmt: skip
        if cust:
            who = speakers[cust[0]]
            mine = cust if _missing(who) else [i for i in cust if speakers[i] == who]
            row["customer_id"] = None if _missing(who) else who
            _put(row, "start", verdict[cust[0]])
            later = [i for i in mine if agents and i > agents[0]]
            if later:
                _put(row, "end", verdict[later[-1]])
            names = [m for i in mine for m in verdict[i][4].split(",") if m]
            row["moments"] = ",".join(dict.fromkeys(names))
        if row["start_valence"] and row["end_valence"]:
            s, e = _RANK[str(row["start_valence"])], _RANK[str(row["end_valence"])]
            row["change"] = e - s
            row["turned_around"] = (e == 1) if s == -1 else None
        rows.append(row)
    out = pd.DataFrame(rows, columns=CONVERSATION_COLUMNS)
    out["change"] = out["change"].astype("Int64")
    out["turned_around"] = out["turned_around"].astype("boolean")
    return out


def _missing(v: object) -> bool:
    return v is None or v is pd.NaT or (isinstance(v, float) and v != v)


def _put(row: dict[str, object], which: str, verdict: tuple[object, ...]) -> None:
    for name, value in zip(("turn_id", "valence", "confidence", "evidence"), verdict, strict=False):
        row[f"{which}_{name}"] = value
