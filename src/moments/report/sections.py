"""One builder per analysis: it calls the Workspace and returns a :class:`Section`.

A builder that cannot run on the store (no outcome events, too few episodes…) gives a section
that says why, instead of failing the whole page or report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from moments.errors import InputError
from moments.web import charts
from moments.workspace import Workspace


@dataclass
class Table:
    title: str
    frame: pd.DataFrame


@dataclass
class Section:
    id: str
    title: str
    lead: str
    findings: list[str] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class Options:
    outcome: str
    horizon: int = 90


def default_outcome(ws: Workspace) -> str:
    """The outcome the analyses use unless told: an overall answer (satisfaction,
    recommendation) where the store has one, else repeat purchase, else the commonest."""
    o = ws.events("outcome")
    counts = dict(
        o.group_by("type").agg(n=o.count()).to_pandas().itertuples(index=False, name=None)
    )
    for preferred in ("satisfaction", "recommendation", "repeat_purchase"):
        if counts.get(preferred):
            return preferred
    return max(counts, key=lambda k: counts[k]) if counts else "repeat_purchase"


def _pct(x: float) -> str:
    return "–" if pd.isna(x) else f"{x:.0%}"


def drivers(ws: Workspace, opt: Options) -> Section:
    s = Section(
        "drivers",
        "Key moments",
        f"Each moment's share of the explained {opt.outcome} (Johnson's relative weights, robust "
        "to moments that go together), with 95 % bootstrap intervals and the customer-days "
        "behind it. The quadrant puts importance against how the moment lands today: "
        "important and weak = fix first.",
    )
    d = ws.drivers(opt.outcome, opt.horizon)
    s.findings.append(
        f"{d.iloc[0]['moment']} explains the most: {d.iloc[0]['importance']:.0%} of what the "
        f"moments explain (95 % interval {d.iloc[0]['low']:.0%}–{d.iloc[0]['high']:.0%}, "
        f"n = {d.iloc[0]['n']:,}); the moments together explain R² = {d['r2'].iloc[0]:.3f}."
    )
    s.charts.append(
        charts.forest(
            [(r.moment, r.importance, r.low, r.high) for r in d.itertuples()],
            f"importance for {opt.outcome}",
            fmt="{:.0%}",
        )
    )
    card = ws.scorecard("moment").to_pandas().set_index("moment_id")
    pts = [
        (r.moment, float(r.importance), float(card.loc[r.moment, "net"]))
        for r in d.itertuples()
        if r.moment in card.index and pd.notna(card.loc[r.moment, "net"])
    ]
    if pts:
        mid_x = float(d["importance"].mean())
        mid_y = float(pd.Series([p[2] for p in pts]).median())
        s.charts.append(
            charts.scatter(
                pts,
                "importance against current net",
                "importance (share of explained outcome)",
                "net (positive − negative share)",
                split=(mid_x, mid_y),
            )
        )
        fix = [n for n, x, y in pts if x >= mid_x and y <= mid_y]
        if fix:
            s.findings.append("Fix first (important and weak): " + ", ".join(fix) + ".")
    over = d[(d["stated_rank"] - d["derived_rank"]) >= 3]["moment"].tolist()
    under = d[(d["derived_rank"] - d["stated_rank"]) >= 3]["moment"].tolist()
    if over:
        s.findings.append(
            "Matter more than the journey states: " + ", ".join(over) + " (derived rank at "
            "least 3 places above the stated one)."
        )
    if under:
        s.findings.append("Matter less than the journey states: " + ", ".join(under) + ".")
    s.tables.append(Table("Drivers", d))
    return s


def basics(ws: Workspace, opt: Options) -> Section:
    s = Section(
        "basics",
        "Basics vs differentiators",
        f"The {opt.outcome} rate after a negative, neutral and positive experience of each "
        "moment. Penalty = neutral − negative, reward = positive − neutral (95 % intervals). "
        "A large penalty and small reward make a basic; the reverse a differentiator.",
    )
    b = ws.basics(opt.outcome, opt.horizon)
    s.charts.append(
        charts.forest(
            [(r.moment, r.penalty, r.penalty_low, r.penalty_high) for r in b.itertuples()],
            "penalty: outcome lost by a negative",
            fmt="{:+.1%}",
        )
    )
    s.charts.append(
        charts.forest(
            [(r.moment, r.reward, r.reward_low, r.reward_high) for r in b.itertuples()],
            "reward: outcome gained by a positive",
            fmt="{:+.1%}",
        )
    )
    for r in b.itertuples():
        if r.agrees is False:
            s.findings.append(
                f"{r.moment} is declared a {r.declared} but behaves as a {r.verdict} "
                f"(penalty {r.penalty:+.1%}, reward {r.reward:+.1%})."
            )
    if not s.findings:
        s.findings.append("Every moment with a clear verdict behaves as its journey declares.")
    cols = ["moment", "n_negative", "n_neutral", "n_positive", "rate_negative", "rate_neutral",
            "rate_positive", "penalty", "penalty_low", "penalty_high", "reward", "reward_low",
            "reward_high", "verdict", "declared", "agrees"]  # fmt: skip
    s.tables.append(Table("Penalty and reward", b[cols]))
    return s


def weakest(ws: Workspace, opt: Options) -> Section:
    s = Section(
        "weakest",
        "Weakest link",
        "Is the outcome better explained by a customer-day's weakest moment or by the average "
        "of its moments? Two one-feature logistic models, compared out of sample (5-fold).",
    )
    w = ws.weakest_link(opt.outcome, opt.horizon)
    s.findings.append(w.attrs["verdict"][0].upper() + w.attrs["verdict"][1:] + ".")
    s.tables.append(Table("Minimum vs mean", w))
    return s


def consistency(ws: Workspace, opt: Options) -> Section:
    s = Section(
        "consistency",
        "Consistency",
        "Where and when a moment collapses: cells (a location, weekday, hour or load level, or a "
        "pair) whose negative share is far above the rest of the moment, found one at a time "
        f"(G-test, Holm-adjusted). Weekday and hour in {ws.local_timezone()}.",
    )
    c = ws.collapses()
    for r in c.head(5).itertuples():
        s.findings.append(
            f"{r.moment} collapses at {r.where}: {r.share:.0%} negative (n = {r.n:,}, 95 % "
            f"{r.share_low:.0%}–{r.share_high:.0%}) against {r.rest_share:.0%} elsewhere; "
            f"{r.excess_negatives:,.0f} extra negatives."
        )
    if c.empty:
        s.findings.append("No moment collapses anywhere or at any time beyond chance.")
    else:
        s.charts.append(
            charts.forest(
                [
                    (
                        f"{r.moment} · {_where(r.where)}",
                        r.difference,
                        r.difference_low,
                        r.difference_high,
                    )
                    for r in c.head(10).itertuples()
                ],
                "negative share above the rest of the moment",
                fmt="{:+.0%}",
            )
        )
        s.tables.append(Table("Collapses", c))
    spread = ws.consistency()
    s.tables.append(Table("Spread per moment and dimension (largest effect first)", spread))
    try:
        dazzle = ws.dazzle_then_disappoint(opt.horizon)
    except InputError as e:
        s.findings.append(f"Dazzle then disappoint: {e.problems[0].what}.")
    else:
        both = dazzle[dazzle["moment"] == "all"].set_index("group")
        if {"dazzled", "first-time"} <= set(both.index):
            dz, ft = both.loc["dazzled"], both.loc["first-time"]
            s.findings.append(
                f"Dazzle then disappoint: {_pct(dz['defected'])} of customers let down after a "
                f"positive defected within {opt.horizon} days (n = {dz['customers']:,}), "
                f"against {_pct(ft['defected'])} after a first negative with no positive "
                f"before (n = {ft['customers']:,})."
            )
        s.tables.append(Table(f"After a first negative, within {opt.horizon} days", dazzle))
    return s


def _where(where: str) -> str:
    """'location=store-riverside × weekday=Saturday' → 'store-riverside × Saturday'."""
    parts = []
    for part in where.split(" × "):
        dim, _, level = part.partition("=")
        parts.append(
            f"{level}:00" if dim == "hour" else f"load {level}/4" if dim == "load" else level
        )
    return " × ".join(parts)


def risk(ws: Workspace, opt: Options) -> Section:
    s = Section(
        "risk",
        "Defection risk",
        "Do customers leave after fewer than three bad experiences? Defection by number of "
        "negative moments (95 % intervals), and a model trained on a past snapshot that scores "
        "every active customer, with the moments behind each score.",
    )
    try:
        curve = ws.negatives_curve()
    except InputError as e:
        s.findings.append(f"Negatives curve: {e.problems[0].what}.")
    else:
        s.findings.append(curve.attrs["verdict"][0].upper() + curve.attrs["verdict"][1:] + ".")
        s.charts.append(
            charts.forest(
                [
                    (f"{r.negatives} negative", r.defected, r.defected_low, r.defected_high)
                    for r in curve.itertuples()
                    if r.customers > 0
                ],
                "share who defected, by number of negative moments",
                fmt="{:.0%}",
            )
        )
        s.tables.append(Table("Defection by number of negatives", curve))
    scores = ws.risk(opt.horizon)
    fitted = scores.attrs["model"]
    s.findings.append(fitted.summary() + ".")
    s.findings.append(
        f"{(scores['band'] == 'high').sum():,} customers at high risk (≥ 50 %), "
        f"{(scores['band'] == 'elevated').sum():,} elevated (≥ 20 %), of {len(scores):,} active."
    )
    cal = fitted.calibration
    s.charts.append(
        charts.scatter(
            [(f"decile {r.decile}", r.predicted, r.observed) for r in cal.itertuples()],
            "calibration: predicted against observed, out of sample",
            "predicted",
            "observed",
            diagonal=True,
            label_points=False,
        )
    )
    s.tables.append(Table("Customers most at risk", scores.head(25)))
    s.tables.append(Table("Calibration (out of sample)", cal))
    return s


def impact(ws: Workspace, opt: Options) -> Section:
    s = Section(
        "impact",
        "The four R's",
        f"Per moment and valence, the difference to a neutral experience in revenue (spend in "
        f"{opt.horizon} days), repeat business, referrals and reputation (public posts within "
        "7 days, review stars), adjusted for the other moments of the visit (OLS, robust 95 % "
        "intervals). An association in the data, not an experiment.",
    )
    df = ws.impact(opt.horizon)
    neg = df[df["valence"] == "negative"]
    if "worth_per_year" in neg:  # absent when no moment's revenue effect could be measured
        neg = neg.sort_values("worth_per_year", ascending=False)
        for r in neg.head(3).itertuples():
            s.findings.append(
                f"Moving {r.moment} from negative to neutral is worth about "
                f"{r.worth_per_year:,.0f} a year (95 % {r.worth_per_year_low:,.0f} to "
                f"{r.worth_per_year_high:,.0f}; {r.negatives_per_year:,.0f} negatives a year)."
            )
        s.charts.append(
            charts.forest(
                [
                    (r.moment, r.worth_per_year, r.worth_per_year_low, r.worth_per_year_high)
                    for r in neg.itertuples()
                ],
                "revenue a year of negatives costs",
                fmt="{:,.0f}",
            )
        )
    pos = df[df["valence"] == "positive"]
    if "repeat" in pos:
        s.charts.append(
            charts.forest(
                [(r.moment, r.repeat, r.repeat_low, r.repeat_high) for r in pos.itertuples()],
                "repeat business after a positive, against neutral",
                fmt="{:+.1%}",
            )
        )
    s.tables.append(Table("Effects against a neutral experience", df))
    return s


def model(ws: Workspace, opt: Options) -> Section:
    from moments.analytics import satisfaction

    s = Section(
        "model",
        "Outcome model",
        f"How well what the store knows about each customer (moment answers and valences, "
        f"measures, segment) predicts {opt.outcome}: gradient boosting trained on one set of "
        "customers and scored on another it never saw — the data set's own test file where it "
        "has one, else a random 20 % holdout.",
    )
    test = _test_customers(ws)
    report = satisfaction.fit(ws, opt.outcome, test_customers=test)
    s.findings.append(str(report) + ".")
    if _has_journey(ws, "airline-flight") and test is not None:
        s.findings.append(
            "Published on the same train/test split (data README, all 22 raw columns): "
            "gradient boosting 0.9635 accuracy, AUC 0.9948; random forest 0.9629, 0.9939; "
            "logistic regression 0.8716, 0.9256."
        )
    frame = report.to_frame()
    s.charts.append(
        charts.forest(
            [
                (r.metric, r.value, r.low, r.high)
                for r in frame.itertuples()
                if r.metric in ("accuracy", "ROC AUC")
            ],
            "test accuracy and ROC AUC with 95 % intervals",
            fmt="{:.3f}",
            zero=False,
        )
    )
    s.tables.append(Table("Test-set performance", frame))
    return s


def _test_customers(ws: Workspace) -> set[str] | None:
    """The customers of a loaded file named like 'test' (a data set's own split), if any."""
    from moments.analytics import satisfaction

    try:
        return satisfaction.customers_from(ws, "test")
    except InputError:
        return None


def olist(ws: Workspace, opt: Options) -> Section:
    from moments.importers import olist as olist_import

    s = Section(
        "olist",
        "Delivery against the promise",
        "Per delivered order: late = delivered after the estimated date (timestamp rule); the "
        "review stars on time against late (t intervals, Welch for the difference) and the "
        "share of 1–2★ reviews. Repeat buyers are descriptive only: the customers table has no "
        "dates for the other orders.",
    )
    if not _has_journey(ws, olist_import.JOURNEY):
        raise InputError("this store has no Olist import", "run 'moments import olist DIR' first")
    f = olist_import.findings(ws)
    s.findings.append(
        f"{f.late_rate[0]:.1%} of {f.delivered:,} delivered orders arrived late "
        f"(95 % {f.late_rate[1]:.1%}–{f.late_rate[2]:.1%}); their reviews average "
        f"{f.mean_late[0]:.2f}★ against {f.mean_on_time[0]:.2f}★ on time, a penalty of "
        f"{f.penalty[0]:+.2f}★ (95 % {f.penalty[1]:+.2f} to {f.penalty[2]:+.2f})."
    )
    s.findings.append(
        f"1–2★ reviews are {f.low_ratio:.1f}× as common after a late delivery "
        f"({f.low_late[0]:.0%} against {f.low_on_time[0]:.0%})."
    )
    s.findings.extend(f.notes)
    frame = f.to_frame()
    stars = frame[frame["finding"].str.startswith("mean review")]
    s.charts.append(
        charts.forest(
            [(r.finding, r.value, r.low, r.high) for r in stars.itertuples()],
            "mean review stars, on time and late",
            fmt="{:.2f}",
        )
    )
    s.tables.append(Table("Findings", frame))
    return s


def _has_journey(ws: Workspace, journey_id: str) -> bool:
    return any(j.id == journey_id for j in ws.journeys())


def _always(ws: Workspace) -> bool:
    return True


Builder = Callable[[Workspace, Options], Section]
Applies = Callable[[Workspace], bool]
# name: (title, builder, whether the report includes it by default on this store)
SECTIONS: dict[str, tuple[str, Builder, Applies]] = {
    "drivers": ("Key moments", drivers, _always),
    "basics": ("Basics vs differentiators", basics, _always),
    "weakest": ("Weakest link", weakest, _always),
    "consistency": ("Consistency", consistency, _always),
    "risk": ("Defection risk", risk, _always),
    "impact": ("The four R's", impact, _always),
    "model": ("Outcome model", model, _always),
    "olist": ("Delivery against the promise", olist, lambda ws: _has_journey(ws, "olist-order")),
}


def applicable(ws: Workspace) -> list[str]:
    """The sections a report on this store includes by default."""
    return [name for name, (_, _, applies) in SECTIONS.items() if applies(ws)]


def build_section(
    ws: Workspace, name: str, outcome: str | None = None, horizon: int = 90
) -> Section:
    """Run one analysis; an analysis the data cannot support says why in ``error``."""
    title, builder, _ = SECTIONS[name]
    opt = Options(outcome or default_outcome(ws), horizon)
    try:
        return builder(ws, opt)
    except InputError as e:
        p = e.problems[0]
        return Section(name, title, "", error=f"{p.what} — {p.fix}" if p.fix else p.what)
