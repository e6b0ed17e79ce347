"""`moments card …`, `moments playbook …` and `moments cases …`: the frontline at a moment of
truth, each command a few lines over :mod:`moments.frontline`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer

from moments.cli import render
from moments.cli.common import DbOpt, check_files, emit, errors, open_store, out, when_option
from moments.errors import InputError
from moments.frontline import card as card_mod
from moments.frontline import cases as cases_mod
from moments.frontline.context import context
from moments.frontline.matcher import evaluate, read_labelled
from moments.frontline.playbook import (
    check_playbook,
    collect,
    journey_index,
    nearby_journeys,
    playbook_schema,
    shipped_dir,
)
from moments.journey.loader import load_journey
from moments.store.schema import CASE_STATUSES

card_app = typer.Typer(
    help="The customer card for a moment of truth: find a customer, show their card.",
    no_args_is_help=True,
)
playbook_app = typer.Typer(
    help="Playbooks as code: check them, match a customer's message, measure the matcher.",
    no_args_is_help=True,
)
cases_app = typer.Typer(
    help="Closed loop: cases opened for negative key moments, their events, queues and metrics.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help=".csv or .parquet")]


# -- card --------------------------------------------------------------------------------------
@card_app.command("show")
def card_show(
    customer: Annotated[str, typer.Argument(help="Customer id, e-mail or phone number.")],
    message: Annotated[
        str | None, typer.Option("--message", "-m", help="The customer's first words.")
    ] = None,
    moment: Annotated[str | None, typer.Option(help="The moment at hand (a moment id).")] = None,
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """The customer's card: who, lived moments, cases, risk, weakest moment, contacts, likely
    next moments and the playbook with the four steps for unwelcome news."""
    with errors(), open_store(db) as ws:
        c = card_mod.card_for(ws, customer, message=message, moment_id=moment)
    if as_json:
        sys.stdout.write(c.model_dump_json(indent=2) + "\n")
        return
    p = c.profile
    out.print(
        f"[bold]{c.customer_id}[/] · {p.segment or '–'} · {p.email or '–'} · {p.phone or '–'}",
        highlight=False,
    )
    r = c.risk
    prob = f" {r.probability:.0%}" if r.probability is not None else ""
    out.print(f"risk: [bold]{r.band}[/]{prob} ({r.method}) {'; '.join(r.reasons)}", highlight=False)
    if c.weakest:
        out.print(f"weakest moment: {c.weakest.moment_id} ({c.weakest.negatives} negative)")
    rows = [
        {"when": x.occurred_at.strftime("%Y-%m-%d %H:%M"), "moment": x.moment_id,
         "valence": x.valence, "why": x.reason}
        for x in c.timeline[:10]
    ]  # fmt: skip
    out.print(render.table(pa.Table.from_pylist(rows), f"Lived moments ({c.lived})"))
    for k in c.cases:
        due = "overdue" if k.overdue else f"due {k.due_at:%Y-%m-%d %H:%M}"
        state = f"open, {due}" if k.open else "closed"
        out.print(f"case {k.case_id}: {k.moment_id} · {k.status} ({state})", highlight=False)
    nxt = ", ".join(f"{n.moment_id or 'none yet'} {n.share:.0%}" for n in c.next_moments)
    out.print(f"likely next: {nxt} [dim]({c.next_basis})[/]", highlight=False)
    for s in c.suggestions:
        out.print(f"suggested request: {s.key} ({s.score:.2f})", highlight=False)
    for pb in c.playbooks:
        for req in pb.requests[:1] if c.suggestions else pb.requests:
            out.print(f"[bold]{pb.id}/{req.id}[/]: {req.name} → {req.answer}", highlight=False)
            for o in req.options:
                out.print(f"  option {o.id}: {o.text} [dim]({o.who})[/]", highlight=False)
            if req.guide:
                for st in req.guide.steps:
                    out.print(f"  {st.number}. {st.name}: {st.say}", highlight=False)
                out.print(f"  avoid: {'; '.join(req.guide.avoid)}", highlight=False)


@card_app.command("find")
def card_find(
    query: Annotated[str, typer.Argument(help="Customer id, e-mail or phone number.")],
    db: DbOpt = None,
) -> None:
    """Find customers by id, e-mail or phone number (the last 7+ digits)."""
    with errors(), open_store(db) as ws:
        found = card_mod.find(ws, query)
        if not found:
            raise card_mod.not_found(query)
    emit(pa.Table.from_pylist([p.model_dump() for p in found]), None, "Customers")


@card_app.command("index")
def card_index(db: DbOpt = None) -> None:
    """Index customer_id in the tables a card reads (fast cards on millions of rows)."""
    with errors(), open_store(db) as ws:
        done = card_mod.index(ws)
    out.print(f"indexed customer_id in {', '.join(done)}")


# -- playbook ----------------------------------------------------------------------------------
@playbook_app.command("check")
def playbook_check(
    files: Annotated[list[Path], typer.Argument(help="Playbook YAML files.")],
    journey: Annotated[
        list[Path] | None,
        typer.Option(
            "--journey",
            "-j",
            help="Journey YAML to check against [default: the journeys in the folder above "
            "the playbook's, and the shipped examples].",
        ),
    ] = None,
) -> None:
    """Validate playbooks; report every problem with file, line, column and field."""
    with errors():
        journeys = journey_index(load_journey(j) for j in journey) if journey else None
    check_files(files, lambda f: ("", check_playbook(f, journeys)))


@playbook_app.command("match")
def playbook_match(
    message: Annotated[str, typer.Argument(help="What the customer said first.")],
    journey: Annotated[
        str | None, typer.Option(help="Only this journey's playbooks (a journey id).")
    ] = None,
    db: DbOpt = None,
) -> None:
    """Suggest the playbook requests a customer's first message is about, best first."""
    with errors(), open_store(db) as ws:
        ctx = context(ws, fit_risk=False)
        if journey is not None and journey not in {j.id for j in ctx.journeys}:
            raise InputError(f"no journey '{journey}' in the store", "see 'moments journey list'")
        found = ctx.matcher(frozenset([journey] if journey else [])).suggest(message)
    rows = [s.model_dump() for s in found]
    emit(pa.Table.from_pylist(rows or [{"request_id": None}]), None, "Suggested requests")


@playbook_app.command("evaluate")
def playbook_evaluate(
    labelled: Annotated[
        Path | None,
        typer.Argument(help="CSV of journey,message,expected [default: the shipped set]."),
    ] = None,
    folder: Annotated[
        Path | None, typer.Option(help="Folder of playbooks [default: the shipped ones].")
    ] = None,
) -> None:
    """Top-1 / top-3 accuracy of the request matcher on labelled first messages."""
    with errors():
        folder = folder or shipped_dir()
        journeys = nearby_journeys(folder / "x.yaml")
        playbooks = collect([folder], list(journeys.values()))
        result = evaluate(
            playbooks, read_labelled(labelled or shipped_dir() / "first-messages.csv")
        )
    out.print(result.summary())
    for message, expected, got in result.misses:
        out.print(f"  [yellow]✗[/] {message!r}: expected {expected}, got {got}", highlight=False)


@playbook_app.command("schema")
def playbook_schema_cmd() -> None:
    """Write the JSON Schema of playbook files (for editors' completion and checks)."""
    sys.stdout.write(json.dumps(playbook_schema(), indent=2) + "\n")


# -- cases -------------------------------------------------------------------------------------
@cases_app.command("open")
def cases_open(
    since: Annotated[
        str | None, typer.Option(help="Only negatives lived since this date (ISO).")
    ] = None,
    db: DbOpt = None,
) -> None:
    """Open a case for every negative judgement on a key moment (importance ≥ 4 or a
    differentiator) that has none yet, for the moment's owner; running it again opens none."""
    with errors(), open_store(db) as ws:
        run = cases_mod.open_cases(ws, since=when_option(since, "since"))
    out.print(str(run), highlight=False)


@cases_app.command("list")
def cases_list(
    owner: Annotated[str | None, typer.Option(help="Only this owner's queue.")] = None,
    include_closed: Annotated[bool, typer.Option("--all", help="Closed cases too.")] = False,
    output: OutOpt = None,
    db: DbOpt = None,
) -> None:
    """The case queue: open cases (per owner with --owner), oldest first, with their SLA."""
    with errors(), open_store(db) as ws:
        if owner:
            expr = cases_mod.queue(ws, owner, include_closed)
        else:
            s = cases_mod.states(ws)
            expr = (s if include_closed else s.filter(s.open)).order_by(["opened_at", "case_id"])
        if output is None:  # on screen, what a queue needs; every column goes to --out files
            expr = expr.select("case_id", "customer_id", "moment_id", "status", "opened_at")
        emit(expr.to_pyarrow(), output, f"Cases{f' of {owner}' if owner else ''}")


@cases_app.command("show")
def cases_show(
    case_id: Annotated[str, typer.Argument(help="The case id.")], db: DbOpt = None
) -> None:
    """One case's events, oldest first."""
    with errors(), open_store(db) as ws:
        cases_mod.case(ws, case_id)
        e = cases_mod.events(ws, case_id=case_id)
        emit(e.select("occurred_at", "status", "owner_id", "note").to_pyarrow(), None, case_id)


@cases_app.command("record")
def cases_record(
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    status: Annotated[
        str, typer.Argument(help=f"One of: {', '.join(s for s in CASE_STATUSES if s != 'opened')}.")
    ],
    note: Annotated[
        str | None, typer.Option(help="What was done or offered; the reason to resolve.")
    ] = None,
    to: Annotated[str | None, typer.Option(help="The assignee (for 'assigned').")] = None,
    db: DbOpt = None,
) -> None:
    """Add an event to a case: assigned, contacted, updated, resolved or closed."""
    with errors(), open_store(db) as ws:
        event_id = cases_mod.record(ws, case_id, status, note=note, owner_id=to)
    out.print(f"recorded {event_id}", highlight=False)


@cases_app.command("metrics")
def cases_metrics(output: OutOpt = None, db: DbOpt = None) -> None:
    """Per owner: cases, open, overdue, median hours to close, share within SLA, recovery."""
    with errors(), open_store(db) as ws:
        m = cases_mod.metrics(ws)
        if output is None:
            m = m.select(owner="owner_id", cases="cases", open="open", overdue="overdue",
                         h_to_close="median_hours_to_close", in_sla="within_sla_share",
                         recovery="recovery_rate", of="with_next")  # fmt: skip
        emit(m.to_pyarrow(), output, "Cases per owner")
