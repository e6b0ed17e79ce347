"""`moments map …`: write and check the MAP.yaml of a survey export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from moments.cli import render
from moments.cli.common import err, errors, out

map_app = typer.Typer(
    help="MAP.yaml for survey exports: suggest a first one from the columns, check one.",
    no_args_is_help=True,
)

ExportArg = Annotated[
    Path, typer.Argument(help="The survey export (.csv, .csv.gz, .xlsx, Qualtrics CSV).")
]
JourneyOpt = Annotated[
    Path, typer.Option("--journey", "-j", help="The journey YAML the answers are about.")
]
DelimiterOpt = Annotated[
    str | None, typer.Option(help="CSV delimiter, e.g. ';' or tab (default: sniffed).")
]
EncodingOpt = Annotated[
    str | None, typer.Option(help="CSV encoding, e.g. latin-1 (default: sniffed).")
]
SheetOpt = Annotated[str | None, typer.Option(help="Excel: the sheet (default: the first).")]


@map_app.command("suggest")
def suggest(
    file: ExportArg,
    journey: JourneyOpt,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write MAP.yaml here (default: print it)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists.")] = False,
    delimiter: DelimiterOpt = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
) -> None:
    """Write a first MAP.yaml for a survey export: the respondent and date columns, each
    moment's rating column (headers matched to moment names, ids and keywords) with a scale
    guessed from the values, comments and outcomes. Check it, then moments import survey."""
    from moments.importers.exports import read_export
    from moments.importers.suggest import suggest_map
    from moments.journey import load_journey

    with errors():
        j = load_journey(journey)
        export = read_export(file, delimiter, encoding, sheet)
        s = suggest_map(export, j, str(journey))
        if out_file is not None and out_file.exists() and not force:
            raise typer.BadParameter(f"{out_file} exists; pass --force to overwrite it")
        if out_file is None:
            out.print(s.text, end="", highlight=False, markup=False)
        else:
            out_file.write_text(s.text, encoding="utf-8")
    console = err if out_file is None else out  # the YAML alone goes to stdout
    for column, role in s.roles.items():
        console.print(f"  {column!r} → {role}", highlight=False, markup=False)
    if s.unmapped:
        console.print(f"  not mapped: {', '.join(s.unmapped)}", highlight=False, markup=False)
    if s.moments_without:
        console.print(
            f"  moments without a column: {', '.join(s.moments_without)}", highlight=False
        )
    if s.problems:
        render.problems(console, s.problems, "to fix before importing:")
    if out_file is not None:
        out.print(
            f"wrote {out_file}; check it, then: moments import survey {file} --journey "
            f"{journey} --map {out_file}",
            highlight=False,
        )


@map_app.command("check")
def check(
    map_file: Annotated[Path, typer.Argument(help="The MAP.yaml to check.")],
    journey: JourneyOpt,
    file: Annotated[
        Path | None,
        typer.Option("--export", "-e", help="Also check the columns of this survey export."),
    ] = None,
    delimiter: DelimiterOpt = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
) -> None:
    """Check a MAP.yaml against its journey (and an export's columns): every problem with
    file, line, column and field, and what to do."""
    from moments.importers.exports import read_export
    from moments.importers.surveymap import check_map, load_map, raise_problems
    from moments.journey import load_journey

    with errors():
        mf = load_map(map_file)
        j = load_journey(journey)
        header = None
        if file is not None:
            header = read_export(file, delimiter, encoding, sheet).header
        raise_problems(check_map(mf, j, header, file.name if file else ""))
    out.print(f"[green]✓[/] {map_file}", highlight=False)
