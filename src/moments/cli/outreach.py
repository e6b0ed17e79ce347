"""`moments outreach …`: plan who gets which message when, check offer and policy files,
compare with simpler ways of sending, and record what was sent."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import pyarrow as pa
import typer

from moments.cli import render
from moments.cli.common import DbOpt, check_files, errors, open_store, out, write_table
from moments.errors import InputError, Problem

outreach_app = typer.Typer(
    help="Proactive outreach: offers and a contact policy as code, an optimised plan.",
    no_args_is_help=True,
)

OffersOpt = Annotated[
    Path | None,
    typer.Option("--offers", help="Offers YAML [default: the packaged retail example]."),
]
PolicyOpt = Annotated[
    Path | None,
    typer.Option("--policy", help="Contact policy YAML [default: the packaged retail example]."),
]
HorizonOpt = Annotated[
    str, typer.Option("--horizon", help="Days to plan, e.g. 7d or 2w (at most 28 days).")
]
StartOpt = Annotated[
    str | None,
    typer.Option("--start", help="Plan from this ISO time (default: now), e.g. 2026-11-02T08:00Z."),
]
MethodOpt = Annotated[
    str,
    typer.Option(
        "--method", help="exact (HiGHS), scalable (Lagrangian) or auto (exact when small)."
    ),
]


def _start(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            Problem(
                f"'{text}' is not a time", "write ISO 8601, e.g. 2026-11-02T08:00Z", field="start"
            )
        ) from None
    if at.tzinfo is None:
        raise InputError(
            Problem(f"'{text}' has no time zone", "add one, e.g. Z or +01:00", field="start")
        )
    return at


def _check_method(method: str) -> str:
    if method not in ("auto", "exact", "scalable"):
        raise InputError(
            Problem(f"unknown method '{method}'", "use auto, exact or scalable", field="method")
        )
    return method


@outreach_app.command("plan")
def plan(
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the plan (.parquet or .csv).")
    ] = None,
    horizon: HorizonOpt = "7d",
    offers: OffersOpt = None,
    policy: PolicyOpt = None,
    start: StartOpt = None,
    method: MethodOpt = "auto",
    db: DbOpt = None,
) -> None:
    """Choose who gets which offer on which day, maximising expected value within the policy;
    every contact comes with its reason. Prints the value, the bound and the gap."""
    from moments.outreach.plan import make_plan

    with errors(), open_store(db) as ws:
        result = make_plan(ws.store, offers, policy, horizon, _start(start), _check_method(method))
        frame = result.frame()
        s = result.summary()
        if out_file is not None:
            write_table(_arrow(frame), out_file)
        else:
            out.print(render.table(_arrow(frame.drop(columns=["reason"])), "plan", limit=30))
    out.print(
        f"{s['contacts']} contacts to {s['customers_contacted']} of {s['customers']} customers "
        f"over {s['days']} days; expected value {s['expected_value']:,.2f} "
        f"(bound {s['upper_bound']:,.2f}, gap {s['gap']:.2%}; {s['method']}, {s['status']}, "
        f"{s['seconds']:.1f} s)" + (f"; wrote {out_file}" if out_file else ""),
        highlight=False,
    )


@outreach_app.command("check")
def check(
    files: Annotated[list[Path], typer.Argument(help="Offers or contact policy YAML files.")],
) -> None:
    """Validate offers and policy files; report every problem with file, line and field."""
    from moments.outreach.offers import check_file

    with errors():
        check_files(files, check_file)


@outreach_app.command("explain")
def explain(
    customers: Annotated[list[str], typer.Argument(help="Customer ids.")],
    horizon: HorizonOpt = "7d",
    offers: OffersOpt = None,
    policy: PolicyOpt = None,
    start: StartOpt = None,
    db: DbOpt = None,
) -> None:
    """Why each customer gets a message, or which rule stops them."""
    from moments.outreach.explain import explain as why
    from moments.outreach.plan import make_plan

    with errors(), open_store(db) as ws:
        result = make_plan(ws.store, offers, policy, horizon, _start(start))
        table = why(result, customers)
    for r in table.itertuples():
        out.print(f"{r.customer_id}: [bold]{r.rule}[/] — {r.why}", highlight=False)


@outreach_app.command("simulate")
def simulate(
    horizon: HorizonOpt = "7d",
    offers: OffersOpt = None,
    policy: PolicyOpt = None,
    start: StartOpt = None,
    method: MethodOpt = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOpt = None,
) -> None:
    """The optimised plan next to 'send every eligible offer' and a simple frequency cap:
    expected value, contacts, customers over-contacted, contacts in quiet hours, marketing to
    customers with an open case."""
    from moments.outreach.explain import rule_counts
    from moments.outreach.plan import make_plan
    from moments.outreach.simulate import simulate as compare

    with errors(), open_store(db) as ws:
        result = make_plan(ws.store, offers, policy, horizon, _start(start), _check_method(method))
        table = compare(result)
        rules = rule_counts(result)
    if as_json:
        out.print_json(
            json.dumps({"strategies": table.to_dict("records"), "rules": rules.to_dict("records")})
        )
        return
    for r in table.to_dict("records"):
        out.print(
            f"[bold]{r['strategy']}[/]: {r['contacts']} contacts to {r['customers_contacted']} "
            f"customers, expected value {r['expected_value']:,.2f}; customers over-contacted "
            f"{r['over_contacted']}, contacts in quiet hours {r['in_quiet_hours']}, marketing to "
            f"customers with an open case {r['open_case_marketing']}, sent while suppressed "
            f"after a negative moment {r['suppressed_sent']}, offers repeated too soon "
            f"{r['offer_repeated']}",
            highlight=False,
        )
    out.print(
        "why, per customer: " + ", ".join(f"{r.rule} {r.customers}" for r in rules.itertuples())
    )


@outreach_app.command("send")
def send(
    plan_file: Annotated[Path, typer.Argument(help="A plan written by 'outreach plan --out'.")],
    db: DbOpt = None,
) -> None:
    """Record a plan's contacts as `contact` events (once: sending again adds nothing), so the
    policy counts them next time."""
    from moments.outreach.plan import contacts_from_plan

    with errors():
        frame = _read_plan(plan_file)
        with open_store(db) as ws:
            report = ws.append("contact", contacts_from_plan(frame), str(plan_file))
    render.load_report(out, report)


def _read_plan(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise InputError(Problem("no such file", "check the path", str(path)))
    try:
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path)
        return pd.read_parquet(path)
    except Exception as e:
        raise InputError(
            Problem(f"cannot read the plan ({str(e).splitlines()[0]})", "give a .parquet or "
                    ".csv written by 'moments outreach plan --out'", str(path))
        ) from None  # fmt: skip


def _arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)
