"""``moments survey``: signed survey links for customers, in bulk."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

import moments
from moments.cli import render
from moments.cli.common import DbOpt, errors, out, write_table
from moments.errors import InputError, Problem
from moments.survey import invites_for_interactions, survey_links

survey_app = typer.Typer(
    help="The customer's one-moment survey: signed, expiring links.", no_args_is_help=True
)

OUTPUT_COLUMNS = ("customer_id", "moment_id", "interaction_id", "expires_at", "url")


def _read_rows(
    path: Path, columns: tuple[str, ...], optional: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The rows of a CSV file as dicts of ``columns`` (+ ``optional``), each with its ``line``."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            header = [h.strip() for h in reader.fieldnames or []]
            missing = [c for c in columns if c not in header]
            if missing:
                raise InputError(
                    Problem(
                        f"no column {', '.join(repr(c) for c in missing)} "
                        f"(found: {', '.join(header) or 'nothing'})",
                        f"the first line must name the columns: {', '.join(columns + optional)}",
                        str(path),
                        1,
                    )
                )
            reader.fieldnames = header
            rows = []
            for raw in reader:
                row: dict[str, Any] = {k: raw.get(k) for k in columns + optional if k in header}
                if all(not (v or "").strip() for v in row.values()):
                    continue  # blank line
                row["line"] = reader.line_num
                rows.append(row)
    except FileNotFoundError:
        raise InputError(Problem("no such file", "check the path", str(path))) from None
    except UnicodeDecodeError:
        raise InputError(
            Problem("not UTF-8 text", "save the file as UTF-8 CSV", str(path))
        ) from None
    except csv.Error as e:
        raise InputError(
            Problem(f"cannot read as CSV ({e})", "check the quoting", str(path))
        ) from None
    if not rows:
        raise InputError(Problem("no rows", "add one row per link to make", str(path)))
    return rows


@survey_app.command("links")
def links(
    input_: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT",
            help="CSV with customer_id, moment_id[, interaction_id] "
            "(with --interactions: interaction_id only).",
        ),
    ],
    db: DbOpt = None,
    base_url: Annotated[
        str, typer.Option("--base-url", help="Where the survey pages are served.")
    ] = "http://127.0.0.1:8000",
    days: Annotated[int, typer.Option("--days", min=1, help="Days each link stays valid.")] = 30,
    interactions: Annotated[
        bool,
        typer.Option(
            "--interactions",
            help="INPUT lists stored interactions (column interaction_id); "
            "customer and moment are looked up.",
        ),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the links to this .csv or .parquet file."),
    ] = None,
) -> None:
    """Make signed, expiring survey links: one URL per customer and moment (or interaction)."""
    with errors(), moments.open(db, create=False) as ws:
        if interactions:
            rows: list[dict[str, Any]] = _read_rows(input_, ("interaction_id",), ())
            invites = invites_for_interactions(ws, [r["interaction_id"] or "" for r in rows])
        else:
            invites = _read_rows(input_, ("customer_id", "moment_id"), ("interaction_id",))
        table = survey_links(ws, invites, base_url, timedelta(days=days), file=str(input_)).select(
            list(OUTPUT_COLUMNS)
        )
        if output is not None:
            write_table(table, output)
    if output is None:
        out.print(render.table(table, f"Survey links ({table.num_rows})", limit=None))
    else:
        out.print(f"wrote {table.num_rows} survey links to {output}", highlight=False)
