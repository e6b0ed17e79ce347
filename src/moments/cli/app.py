"""The ``moments`` command: a thin layer over :class:`moments.Workspace`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from moments.cli import model as _model  # noqa: F401  (registers `analyse model`)
from moments.cli import render
from moments.cli.access import tokens_app, users_app
from moments.cli.analyse import analyse_app
from moments.cli.common import DbOpt, check_files, emit, err, errors, open_store, out
from moments.cli.conversations import conversations_app
from moments.cli.frontline import card_app, cases_app, playbook_app
from moments.cli.governance import audit, customer_app
from moments.cli.importers import import_app
from moments.cli.mapping import map_app
from moments.cli.outreach import outreach_app
from moments.cli.report import report
from moments.cli.survey import survey_app
from moments.cli.text import text_app
from moments.errors import InputError
from moments.journey import check_journey, journey_schema
from moments.store import EVENT_KINDS

app = typer.Typer(
    name="moments",
    help="Find, measure and manage the defining moments of your customer journeys.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
journey_app = typer.Typer(
    help="Journey maps as code: check, add, list, and the JSON Schema.", no_args_is_help=True
)
app.add_typer(journey_app, name="journey")
app.add_typer(survey_app, name="survey")
app.add_typer(analyse_app, name="analyse")
app.add_typer(import_app, name="import")
app.add_typer(map_app, name="map")
app.add_typer(outreach_app, name="outreach")
app.add_typer(card_app, name="card")
app.add_typer(playbook_app, name="playbook")
app.add_typer(cases_app, name="cases")
app.add_typer(conversations_app, name="conversations")
app.add_typer(text_app, name="text")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(customer_app, name="customer")
app.command("audit")(audit)
app.command("report")(report)


@app.command()
def init(
    db: DbOpt = None,
    journey: Annotated[
        list[Path] | None, typer.Option("--journey", "-j", help="Journey YAML to register.")
    ] = None,
) -> None:
    """Create a store (or check an existing one) and optionally register journeys."""
    with errors(), open_store(db, create=True) as ws:
        for j in journey or []:
            out.print(str(ws.add_journey(j)))
        info = ws.info()
        out.print(
            f"store ready: {info['engine']} {info['location']} (schema {info['schema_version']})"
        )


@app.command()
def info(db: DbOpt = None) -> None:
    """Which engine, schema version, journeys and table sizes."""
    with errors(), open_store(db) as ws:
        out.print_json(json.dumps(ws.info()))


@app.command()
def export(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="Target store: postgresql://user:password@host:port/db, "
            "spark://local[2]?warehouse=/path, a DuckDB file path or duckdb:///path.",
        ),
    ],
    db: DbOpt = None,
    replace: Annotated[
        bool, typer.Option(help="Overwrite a target that already holds data.")
    ] = False,
) -> None:
    """Copy a whole store to another engine (e.g. a DuckDB file to PostgreSQL), all or nothing,
    checked table by table by row counts and column fingerprints on both engines."""
    from moments.store.export import export_store

    with errors(), open_store(db) as ws:
        sizes = ws.store.sizes()
        with Progress(
            TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn(), console=err,
            transient=True,
        ) as bar:  # fmt: skip
            task = bar.add_task("copying", total=sum(sizes.values()) or 1)

            def step(name: str, rows: int) -> None:
                bar.update(task, description=f"copying {name}", advance=rows)

            report = export_store(
                ws.store,
                to,
                replace=replace,
                progress=step,
                actor=ws.principal.user_id,
                settings=ws.settings,
            )
    out.print(str(report), highlight=False)


@journey_app.command("check")
def journey_check(files: Annotated[list[Path], typer.Argument(help="Journey YAML files.")]) -> None:
    """Validate journey files; report every problem with file, line, column and field."""
    check_files(files, lambda f: ("", check_journey(f)))


@journey_app.command("schema")
def journey_schema_cmd(
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Write the JSON Schema of journey files (for editors' completion and checks)."""
    text = json.dumps(journey_schema(), indent=2)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        out.print(f"wrote {output}")
    else:
        sys.stdout.write(text + "\n")


@journey_app.command("add")
def journey_add(
    files: Annotated[list[Path], typer.Argument(help="Journey YAML files.")], db: DbOpt = None
) -> None:
    """Register journeys in the store (a changed file becomes the journey's new version)."""
    with errors(), open_store(db, create=True) as ws:
        for f in files:
            out.print(str(ws.add_journey(f)))


@journey_app.command("list")
def journey_list(db: DbOpt = None) -> None:
    """The journeys and moments registered in the store."""
    with errors(), open_store(db) as ws:
        m = ws.moments().order_by(["journey_id", "position"])
        out.print(
            render.table(
                m.select(
                    "journey_id", "stage", "touchpoint", "moment_id", "owner", "importance", "kind"
                ).to_pyarrow(),
                limit=None,
            )
        )


def _mapping(pairs: list[str] | None) -> dict[str, str]:
    mapping = {}
    for p in pairs or []:
        if "=" not in p:
            raise InputError(
                f"--map '{p}' is not COLUMN=FIELD", "e.g. --map 'Customer ID=customer_id'"
            )
        src, _, dst = p.partition("=")
        mapping[src.strip()] = dst.strip()
    return mapping


@contextmanager
def _bytes_progress(path: Path, label: str) -> Iterator[Callable[[int], None]]:
    # Parquet is read by the engine in one go: no byte count to follow, so the bar just pulses
    streamed = path.suffix.lower() not in (".parquet", ".pq")
    total = path.stat().st_size if path.exists() and streamed else None
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


@app.command()
def load(
    file: Annotated[Path, typer.Argument(help="CSV, JSONL or Parquet file of events.")],
    kind: Annotated[
        str, typer.Option("--kind", "-k", help=f"Kind of events: {', '.join(EVENT_KINDS)}.")
    ],
    db: DbOpt = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", "-m", help="Rename a column: 'COLUMN=FIELD' (repeatable)."),
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", help="Skip a column (repeatable).")
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="csv, jsonl or parquet.")] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            help="Zone for timestamps written without one, "
            "e.g. Europe/London (default: quarantine them).",
        ),
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding [default: utf-8].")] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter [default: sniffed].")] = None,
) -> None:
    """Load a file of events (bad rows quarantined; re-loading adds nothing).

    Good rows are loaded in one transaction; bad rows go to the quarantine with file, line,
    field and reason. Exits 1 when nothing in the file could be used.
    """
    with (
        errors(),
        open_store(db, create=True) as ws,
        _bytes_progress(file, f"loading {file.name}") as p,
    ):
        report = ws.load(
            file,
            kind,
            mapping=_mapping(map_),
            ignore=ignore or [],
            format=fmt,
            timezone=timezone,
            encoding=encoding,
            delimiter=delimiter,
            progress=p,
        )
    render.load_report(out, report)
    if not report.ok:
        err.print("[red]nothing in the file could be used[/]")
        raise typer.Exit(1)


@app.command()
def quarantine(
    db: DbOpt = None,
    load_id: Annotated[str | None, typer.Option("--load", help="Only this load.")] = None,
    output: Annotated[Path | None, typer.Option("--out", "-o", help=".csv or .parquet")] = None,
) -> None:
    """Rows that were not loaded, with file, line, field and reason."""
    with errors(), open_store(db) as ws:
        q = ws.quarantine(load_id).order_by(["quarantined_at", "file", "line"])
        emit(
            q.select("file", "line", "field", "value", "reason", "load_id").to_pyarrow(),
            output,
            "quarantine",
        )


@app.command()
def judge(
    db: DbOpt = None,
    text_backend: Annotated[
        str | None,
        typer.Option(
            help="Text judge: a model file from 'moments text train', or a backend name "
            "[default: $MOMENTS_TEXT_BACKEND, or the model in $MOMENTS_TEXT_MODEL]."
        ),
    ] = None,
) -> None:
    """Judge every lived moment again (survey answer > expectation standard > text)."""
    with errors(), open_store(db) as ws:
        report = ws.judge(text_backend)
    out.print(str(report))


@app.command()
def score(
    db: DbOpt = None,
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            "-b",
            help="moment, touchpoint, stage, journey, owner, location, "
            "employee, channel, segment, customer, day, week, month (repeatable).",
        ),
    ] = None,
    start: Annotated[str | None, typer.Option(help="From this date (inclusive).")] = None,
    end: Annotated[str | None, typer.Option(help="Until this date (exclusive).")] = None,
    location: Annotated[list[str] | None, typer.Option(help="Only these locations.")] = None,
    channel: Annotated[list[str] | None, typer.Option(help="Only these channels.")] = None,
    journey: Annotated[list[str] | None, typer.Option(help="Only these journeys.")] = None,
    segment: Annotated[
        list[str] | None, typer.Option(help="Only customers in these segments.")
    ] = None,
    output: Annotated[Path | None, typer.Option("--out", "-o", help=".csv or .parquet")] = None,
) -> None:
    """The scorecard: lived, judged, negative/neutral/positive shares, coverage and net."""
    with errors(), open_store(db) as ws:
        t = ws.scorecard(
            by or ["moment"],
            start=start,
            end=end,
            location_id=location,
            channel=channel,
            journey_id=journey,
            segment=segment,
        )
        emit(t.to_pyarrow(), output, f"Scorecard by {', '.join(by or ['moment'])}", True)


@app.command()
def customers(
    db: DbOpt = None,
    start: Annotated[str | None, typer.Option(help="From this date (inclusive).")] = None,
    end: Annotated[str | None, typer.Option(help="Until this date (exclusive).")] = None,
    output: Annotated[Path | None, typer.Option("--out", "-o", help=".csv or .parquet")] = None,
) -> None:
    """Per customer: negative moments and their weakest moment (most negatives first)."""
    with errors(), open_store(db) as ws:
        emit(ws.customers(start, end).to_pyarrow(), output, "Customers")


@app.command()
def demo(
    db: Annotated[Path, typer.Option("--db", help="Where to write the demo store.")] = Path(
        "moments-demo.duckdb"
    ),
    port: Annotated[int, typer.Option(help="Port for the dashboard.")] = 8000,
    host: Annotated[str, typer.Option(help="Address for the dashboard.")] = "127.0.0.1",
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Stop after printing the scorecard.")
    ] = False,
    customers_: Annotated[
        int, typer.Option("--customers", help="How many demo customers.")
    ] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 7,
) -> None:
    """Generate a year of demo data, load and judge it, print the scorecard, serve the dashboard."""
    from moments.demo.build import build_demo

    with errors():
        ws, timings = build_demo(db, customers=customers_, seed=seed, console=err)
        with ws:
            out.print(
                render.table(
                    ws.scorecard("moment").to_pyarrow(), f"Defining moments — {db}", compact=True
                )
            )
            info = ws.info()["tables"]
    out.print(
        f"[bold]{info['judgements']:,}[/] lived moments, {info['feedback']:,} survey answers, "
        f"{info['comments']:,} comments and {info['outcomes']:,} outcomes, judged in "
        f"{sum(timings.values()):.1f} s ("
        + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
        + ")",
        highlight=False,
    )
    out.print(f"Explore it: moments score --db {db} --by location --by week")
    if not no_serve:
        _serve(db, host, port)


def _serve(db: str | Path | None, host: str, port: int, secure_cookies: bool = False) -> None:
    import uvicorn

    from moments.web.app import check_binding, create_app

    with errors():
        web = create_app(db, secure_cookies=secure_cookies)
        check_binding(host, web.state.shared.auth)
    if web.state.shared.auth:
        out.print("Log-in required (users are set up in this store).")
    else:
        out.print(
            "No log-in: the single-user default, reachable from this machine only "
            "(add users with `moments users add` to share it)."
        )
    out.print(f"Serving the dashboard on [bold]http://{host}:{port}/[/] (Ctrl+C to stop)")
    uvicorn.run(web, host=host, port=port, log_level="warning")


@app.command()
def serve(
    db: DbOpt = None,
    host: Annotated[
        str,
        typer.Option(help="Address to listen on; other than loopback only with users set up."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    secure_cookies: Annotated[
        bool, typer.Option("--secure-cookies", help="Mark cookies Secure (served over HTTPS).")
    ] = False,
) -> None:
    """Serve the dashboard, the customer survey and the JSON API (OpenAPI at /docs)."""
    _serve(db, host, port, secure_cookies)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
