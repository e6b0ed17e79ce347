"""`moments report`: every analysis of a store in one standalone HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from moments.cli.common import DbOpt, err, errors, open_store, out
from moments.errors import InputError
from moments.report import SECTIONS, render_report
from moments.report.sections import applicable


def report(
    output: Annotated[Path, typer.Option("--out", "-o", help="The .html file to write.")] = Path(
        "report.html"
    ),
    db: DbOpt = None,
    outcome: Annotated[
        str | None,
        typer.Option(
            help="Outcome for key moments, basics and weakest link [default: satisfaction or "
            "recommendation answers if the store has them, else repeat_purchase]."
        ),
    ] = None,
    horizon: Annotated[int, typer.Option(help="Days after an episode that count.", min=1)] = 90,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help=f"Just these analyses: {', '.join(SECTIONS)}."),
    ] = None,
) -> None:
    """Write key moments, basics vs differentiators, weakest link, consistency, defection risk,
    the four R's and the outcome model (and, for an Olist import, delivery against the promise)
    — findings, charts and tables with intervals — to one HTML file that opens anywhere (no
    server, no network)."""
    with errors():
        if output.suffix.lower() not in (".html", ".htm"):
            raise InputError(f"cannot write '{output}'", "name the report .html")
        unknown = [n for n in only or [] if n not in SECTIONS]
        if unknown:
            raise InputError(
                f"unknown analysis '{unknown[0]}'", f"use one of: {', '.join(SECTIONS)}"
            )
        with open_store(db) as ws:
            names = only or applicable(ws)
            with Progress(
                SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                console=err, transient=True,
            ) as bar:  # fmt: skip
                task = bar.add_task("analysing", total=len(names))

                def step(name: str) -> None:
                    bar.update(task, description=f"analysing: {SECTIONS[name][0]}", advance=1)

                html = render_report(ws, outcome, horizon, names, progress=step)
        output.write_text(html, encoding="utf-8")
    out.print(f"wrote {output} ({len(html) // 1024:,} KiB, {len(names)} analyses)")
