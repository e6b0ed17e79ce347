"""Rich rendering of library results for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from moments.errors import Problem
from moments.ingest import LoadReport

PCT = {"share_negative", "share_neutral", "share_positive", "share_unknown", "coverage"}
HIDDEN = {"position", "journey_id", "touchpoint_channel"}
# long or secondary columns left out on screen (all of them go to --out files)
COMPACT_HIDDEN = HIDDEN | {
    "moment",
    "stage",
    "touchpoint",
    "journey",
    "kind",
    "judged",
    "negative",
    "neutral",
    "positive",
    "unknown",
    "share_unknown",
    "owner",
}
HEADERS = {
    "share_negative": "neg",
    "share_neutral": "neu",
    "share_positive": "pos",
    "share_unknown": "unk",
    "coverage": "cover",
    "importance": "imp",
    "n_negative": "n neg",
    "n_neutral": "n neu",
    "n_positive": "n pos",
}


def _fmt(col: str, v: Any) -> Text:
    if v is None:
        return Text("–", style="dim")
    if col == "net":
        style = "red" if v < -0.05 else "green" if v > 0.05 else "yellow"
        return Text(f"{v * 100:+.0f}", style=style)
    if col in PCT:
        return Text(f"{v * 100:.0f}%")
    if isinstance(v, float):
        return Text(f"{v:.4g}")
    return Text(str(v))


def table(
    data: pa.Table, title: str | None = None, limit: int | None = 60, compact: bool = False
) -> Table:
    hidden = COMPACT_HIDDEN if compact else HIDDEN
    cols = [c for c in data.column_names if c not in hidden]
    t = Table(title=title, header_style="bold", show_lines=False)
    numeric = {
        c
        for c in cols
        if pa.types.is_integer(data.schema.field(c).type)
        or pa.types.is_floating(data.schema.field(c).type)
    }
    for c in cols:
        t.add_column(
            HEADERS.get(c, c),
            justify="right" if c in numeric else "left",
            overflow="fold",
            max_width=48,
            no_wrap=c in numeric,  # never split a number; text folds when space is short
        )
    rows = data.to_pylist()
    for r in rows[:limit] if limit else rows:
        t.add_row(*[_fmt(c, r[c]) for c in cols])
    if limit and len(rows) > limit:
        t.caption = f"{limit} of {len(rows)} rows shown; use --out FILE for all"
    return t


def problems(console: Console, items: Sequence[Problem], heading: str) -> None:
    console.print(f"[bold red]{escape(heading)}[/]")
    for p in items:  # escaped: a value like '^[a-z0-9]+$' is not Rich markup
        console.print(f"  [red]✗[/] {escape(str(p))}", highlight=False)


def load_report(console: Console, report: LoadReport) -> None:
    colour = "green" if report.quarantined == 0 else "yellow" if report.ok else "red"
    console.print(
        f"[{colour}]{escape(report.file)}[/]: {report.rows_read} read, "
        f"[bold]{report.added} added[/], "
        f"{report.duplicates} duplicates, {report.quarantined} quarantined "
        f"[dim](load {report.load_id})[/]",
        highlight=False,
    )
    for p in report.problems:
        console.print(f"  [yellow]⚠[/] {escape(str(p))}", highlight=False)
    if report.quarantined > len(report.problems):
        console.print(f"  [dim]… see all with: moments quarantine --load {report.load_id}[/]")
