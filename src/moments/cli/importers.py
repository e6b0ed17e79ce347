"""`moments import …`: public data sets, from their original files, onto shipped journeys."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer

from moments.cli import render
from moments.cli.common import DbOpt, emit, errors, open_store, out
from moments.errors import Problem
from moments.importers.common import ImportReport

import_app = typer.Typer(
    help="Import survey exports (any, by a MAP.yaml) and public data sets in their original "
    "files (airline survey, Olist orders): register the journey, load, quarantine bad rows, "
    "judge.",
    no_args_is_help=True,
)

FolderArg = Annotated[
    Path, typer.Argument(help="Folder with the data set's original files (.csv or .csv.gz).")
]
SHOWN = 10


def _print(report: ImportReport, db: str | None) -> None:
    out.print(f"[bold]{report.dataset}[/] from {', '.join(str(f) for f in report.files)}")
    for line in report.summary():
        out.print(f"  {line}", highlight=False)
    first: dict[tuple[str | None, int | None], Problem] = {}
    for p in sorted(report.problems, key=lambda p: (p.file or "", p.line or 0)):
        first.setdefault((p.file, p.line), p)  # one problem per source row
    if first:
        shown = list(first.values())[:SHOWN]
        render.problems(out, shown, f"{report.bad_rows} source rows quarantined, e.g.:")
        where = f" --db {db}" if db else ""
        out.print(f"  [dim]see all with: moments quarantine{where}[/]", highlight=False)


@import_app.command("survey")
def import_survey_cmd(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Survey export(s): one row per respondent (.csv, .csv.gz, .xlsx; Qualtrics' "
            "three header rows are recognised)."
        ),
    ],
    journey: Annotated[
        Path, typer.Option("--journey", "-j", help="The journey YAML the answers are about.")
    ],
    map_file: Annotated[
        Path,
        typer.Option(
            "--map", "-m", help="MAP.yaml: which column is what (moments map suggest writes one)."
        ),
    ],
    db: DbOpt = None,
    delimiter: Annotated[
        str | None, typer.Option(help="CSV delimiter, e.g. ';' or tab (default: sniffed).")
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(help="CSV encoding, e.g. latin-1 (default: sniffed: UTF-8, else Latin-1)."),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option(help="Excel: the sheet to read (default: the first).")
    ] = None,
    no_judge: Annotated[bool, typer.Option("--no-judge", help="Load only; judge later.")] = False,
) -> None:
    """Import a survey export (one row per respondent, one column per question) as MAP.yaml says.

    Each rating becomes a survey answer judged by the journey's bands, each outcome column an
    outcome (answers rescaled to 0–1), each comment a comment; a blank or not-applicable answer
    is no answer. Bad rows are quarantined with file, line and column; importing again adds
    nothing. Then judges and prints a summary."""
    from moments.importers.survey import import_survey
    from moments.importers.surveymap import load_map
    from moments.store.schema import RATED_OUTCOMES

    with errors():
        survey_map = load_map(map_file)  # a wrong map fails before the store is touched
        with open_store(db, create=True) as ws:
            report = import_survey(
                ws,
                files,
                journey,
                survey_map,
                delimiter=delimiter,
                encoding=encoding,
                sheet=sheet,
                judge=not no_judge,
            )
    _print(report, db)
    rated = [o.type for o in survey_map.map.outcomes if o.type in RATED_OUTCOMES]
    outcome = rated[0] if rated else "OUTCOME"
    out.print(
        f"Next: moments analyse drivers --db {db or 'moments.duckdb'} --outcome {outcome}",
        highlight=False,
    )


@import_app.command("airline")
def import_airline_cmd(
    folder: FolderArg,
    db: DbOpt = None,
    no_judge: Annotated[bool, typer.Option("--no-judge", help="Load only; judge later.")] = False,
) -> None:
    """Import the Airline Passenger Satisfaction survey (Kaggle's train.csv / test.csv).

    A survey import (moments import survey) with the shipped airline-flight journey and
    airline-map.yaml: one customer per passenger, 14 moments rated 1–5 (0 = not applicable =
    no answer), the arrival against a 15-minute standard and a satisfaction outcome. Bad rows
    are quarantined with file, line and field; importing again adds nothing. Then judges and
    prints a summary."""
    from moments.importers.airline import import_airline

    with errors(), open_store(db, create=True) as ws:
        report = import_airline(ws, folder, judge=not no_judge)
    _print(report, db)
    out.print(
        f"Next: moments analyse drivers --db {db or 'moments.duckdb'} --outcome satisfaction",
        highlight=False,
    )


@import_app.command("olist")
def import_olist_cmd(
    folder: FolderArg,
    db: DbOpt = None,
    customers: Annotated[
        Path | None,
        typer.Option(
            help="The customers table (file, or a folder holding olist_customers_dataset) that "
            "maps orders to people and counts their orders for the repeat flag "
            "(default: the one in FOLDER).",
        ),
    ] = None,
    no_judge: Annotated[bool, typer.Option("--no-judge", help="Load only; judge later.")] = False,
) -> None:
    """Import the Olist Brazilian E-Commerce tables (Kaggle's file names, sample or full).

    Registers the olist-order journey: per order the purchase, payment approval, hand-over to
    the carrier and delivery against the promised date, purchases, reviews (stars, and a
    satisfaction answer) and their words as comments. Then judges and prints the findings:
    late-delivery rate, the review-score penalty of a late delivery, repeat buyers."""
    from moments.importers.olist import findings, import_olist

    with errors(), open_store(db, create=True) as ws:
        report = import_olist(ws, folder, customers=customers, judge=not no_judge)
        result = findings(ws)
    _print(report, db)
    emit(pa.Table.from_pandas(result.to_frame(), preserve_index=False), None, "Olist findings")
    for note in result.notes:
        out.print(f"  {note}", highlight=False)
