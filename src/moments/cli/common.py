"""What every command module shares: the consoles, the --db option, and error reporting."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import typer
from rich.console import Console

import moments
from moments.cli import render
from moments.errors import InputError, MomentsError, Problem

out = Console(soft_wrap=True)  # messages stay one line each: easy to grep and copy
err = Console(stderr=True, soft_wrap=True)

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Store: a DuckDB file path, duckdb:///path, postgresql://user:pass@host:port/db "
        "or spark://local[2]?warehouse=/path "
        "[default: $MOMENTS_DATABASE_URL or ./moments.duckdb]",
        show_default=False,
    ),
]


def write_table(table: pa.Table, output: Path) -> None:
    """Write Arrow to a .csv or .parquet file, chosen by the name."""
    suffix = output.suffix.lower()
    if suffix == ".csv":
        pacsv.write_csv(table, output)
    elif suffix == ".parquet":
        pq.write_table(table, output)
    else:
        raise InputError(f"cannot write '{output}'", "name the output .csv or .parquet")


@contextmanager
def errors() -> Iterator[None]:
    """Turn our errors into a clear message on stderr and exit code 1."""
    try:
        yield
    except InputError as e:
        render.problems(
            err, e.problems, "Error:" if len(e.problems) == 1 else f"{len(e.problems)} problems:"
        )
        raise typer.Exit(1) from None
    except MomentsError as e:
        err.print(f"[bold red]Error:[/] {e}", highlight=False)
        raise typer.Exit(1) from None


def when_option(text: str | None, name: str) -> datetime | None:
    """A ``--NAME`` date or time option as a UTC-aware datetime (a date alone: its midnight)."""
    if text is None:
        return None
    try:
        d = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"--{name} '{text}' is not a date", "write an ISO date or time, e.g. 2026-03-01"
        ) from None
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def open_store(db: str | None, create: bool = False) -> moments.Workspace:
    return moments.open(db, create=create)


def emit(data: pa.Table, output: Path | None, title: str, compact: bool = False) -> None:
    """Print a table, or write it to ``output`` (.csv / .parquet) and say so."""
    if output is None:
        out.print(render.table(data, title, compact=compact))
        return
    write_table(data, output)
    out.print(f"wrote {data.num_rows} rows to {output}")


def check_files(
    files: Sequence[Path], check: Callable[[Path], tuple[str, Sequence[Problem]]]
) -> None:
    """Print ✓ (with ``check``'s label, if any) or every problem of each file; exit 1 when
    any file has one. ``check`` gives (label, problems) for a file."""
    bad = 0
    for f in files:
        label, problems = check(f)
        if problems:
            bad += 1
            render.problems(err, problems, f"{f}: {len(problems)} problem(s)")
        else:
            out.print(f"[green]✓[/] {f}" + (f" ({label})" if label else ""))
    if bad:
        raise typer.Exit(1)
