"""Evidence for a lived moment's valence, as Ibis expressions: survey answers and measured rules."""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.datatypes as dt

from moments.journey.model import Journey
from moments.store import memtable

BANDS = {"missed": "negative", "met": "neutral", "exceeded": "positive"}


def _holds(value: ibis.NumericValue, op: ibis.StringValue, thr: ibis.NumericValue) -> ibis.Value:
    return ibis.cases(
        (op == "<", value < thr),
        (op == "<=", value <= thr),
        (op == ">", value > thr),
        (op == ">=", value >= thr),
        else_=ibis.literal(False),
    )


def number_text(v: ibis.NumericValue) -> ibis.StringValue:
    """95.0 → '95', 2.25 → '2.3' (reasons are for people)."""
    return ibis.ifelse(
        v == v.round(0), v.round(0).cast(dt.int64).cast(dt.string), v.round(1).cast(dt.string)
    )


def survey_table(journeys: Sequence[Journey]) -> ibis.Table:
    """One row per moment with a survey: its scale and band conditions."""
    rows = []
    for j in journeys:
        for _, _, m in j.moments():
            s = j.survey_for(m)
            if s is None:
                continue
            rows.append(
                {
                    "s_moment": m.id,
                    "s_min": s.scale.min,
                    "s_max": s.scale.max,
                    "missed_op": s.missed.op,
                    "missed_thr": s.missed.threshold,
                    "exc_op": s.exceeded.op,
                    "exc_thr": s.exceeded.threshold,
                    "s_text": f"{s.scale.min}–{s.scale.max}; missed {s.missed}, "
                    f"exceeded {s.exceeded}",
                }
            )
    schema = {
        "s_moment": "string",
        "s_min": "int64",
        "s_max": "int64",
        "missed_op": "string",
        "missed_thr": "float64",
        "exc_op": "string",
        "exc_thr": "float64",
        "s_text": "string",
    }
    return memtable(rows, schema)


def standard_table(journeys: Sequence[Journey]) -> ibis.Table:
    """One row per moment with an expectation standard over a measure."""
    rows = []
    for j in journeys:
        for _, _, m in j.moments():
            if m.standard is None:
                continue
            st = m.standard
            meas = j.measures[st.measure]
            unit = f" {meas.unit}" if meas.unit else ""
            rows.append(
                {
                    "r_moment": m.id,
                    "r_measure": st.measure,
                    "r_label": meas.label,
                    "r_unit": unit,
                    "exc_op": st.exceeded.op,
                    "exc_thr": st.exceeded.threshold,
                    "met_op": st.met.op,
                    "met_thr": st.met.threshold,
                    "r_text": f"standard: exceeded {st.exceeded}{unit}, met {st.met}{unit}",
                }
            )
    schema = {
        "r_moment": "string",
        "r_measure": "string",
        "r_label": "string",
        "r_unit": "string",
        "exc_op": "string",
        "exc_thr": "float64",
        "met_op": "string",
        "met_thr": "float64",
        "r_text": "string",
    }
    return memtable(rows, schema)


def survey_valence(lived: ibis.Table, answers: ibis.Table, surveys: ibis.Table) -> ibis.Table:
    """Per lived moment with an answer: the latest answer's valence (lived_id, valence, reason).

    ``answers`` are feedback events with the ``lived_id`` each one judges."""
    fb = answers.semi_join(lived, answers.lived_id == lived.lived_id)
    ranked = fb.mutate(
        _n=ibis.row_number().over(
            group_by="lived_id", order_by=[ibis.desc("occurred_at"), ibis.desc("event_id")]
        )
    )
    latest = ranked.filter(ranked._n == 0)
    j = latest.join(surveys, latest.moment_id == surveys.s_moment)
    band = ibis.cases(
        (_holds(j.score, j.missed_op, j.missed_thr), "missed"),
        (_holds(j.score, j.exc_op, j.exc_thr), "exceeded"),
        else_="met",
    )
    valence = band.substitute(BANDS)
    return j.select(
        lived_id=j.lived_id,
        s_valence=valence,
        s_reason="answered "
        + number_text(j.score)
        + " on "
        + j.s_text
        + " → "
        + band
        + ibis.ifelse(j.comment.notnull(), ": “" + j.comment.substr(0, 140) + "”", ""),
    )


def rule_valence(lived: ibis.Table, measures: ibis.Table, standards: ibis.Table) -> ibis.Table:
    """Per lived moment with its standard's measure: the rule's valence and reason."""
    j = lived.join(standards, lived.moment_id == standards.r_moment)
    j = j.join(measures, [j.lived_id == measures.event_id, j.r_measure == measures.name])
    v = j.value
    band = ibis.cases(
        (_holds(v, j.exc_op, j.exc_thr), "exceeded"),
        (_holds(v, j.met_op, j.met_thr), "met"),
        else_="missed",
    )
    return j.select(
        lived_id=j.lived_id,
        r_valence=band.substitute(BANDS),
        r_reason=j.r_label + " " + number_text(v) + j.r_unit + "; " + j.r_text + " → " + band,
    )
