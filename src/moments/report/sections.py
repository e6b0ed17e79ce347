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
    neg = df[df["valence"] == "negative"].sort_values("worth_per_year", ascending=False)
    if "worth_per_year" in neg:
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


Builder = Callable[[Workspace, Options], Section]
SECTIONS: dict[str, tuple[str, Builder]] = {
    "drivers": ("Key moments", drivers),
    "basics": ("Basics vs differentiators", basics),
    "weakest": ("Weakest link", weakest),
    "consistency": ("Consistency", consistency),
    "risk": ("Defection risk", risk),
    "impact": ("The four R's", impact),
}


def build_section(
    ws: Workspace, name: str, outcome: str | None = None, horizon: int = 90
) -> Section:
    """Run one analysis; an analysis the data cannot support says why in ``error``."""
    title, builder = SECTIONS[name]
    opt = Options(outcome or default_outcome(ws), horizon)
    try:
        return builder(ws, opt)
    except InputError as e:
        p = e.problems[0]
        return Section(name, title, "", error=f"{p.what} — {p.fix}" if p.fix else p.what)
