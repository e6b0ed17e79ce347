"""``moments audit`` and ``moments customer …``: the audit log, and a customer's personal data
exported or erased on request — each a few lines over :mod:`moments.governance`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from moments.cli import render
from moments.cli.common import DbOpt, errors, open_store, out, when_option
from moments.errors import NotFound
from moments.governance.audit import ACTIONS

customer_app = typer.Typer(
    help="A customer's personal data on request: export it, or erase it (counts are kept).",
    no_args_is_help=True,
)


def audit(
    action: Annotated[
        str | None,
        typer.Option(help=f"Only this action and its sub-actions: {', '.join(ACTIONS)}."),
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Only what this user did.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only entries from this day or time (ISO; UTC if no zone).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
    db: DbOpt = None,
) -> None:
    """The audit log, newest first: who loaded which file, changed a journey, moved a case,
    exported data or erased a customer."""
    with errors(), open_store(db) as ws:
        rows = ws.audit(action, actor, when_option(since, "since"), limit).to_pyarrow()
    if as_json:
        for r in rows.to_pylist():
            r["at"] = r["at"].isoformat()
            r["detail"] = json.loads(r["detail"] or "{}")
            sys.stdout.write(json.dumps(r) + "\n")
        return
    out.print(render.table(rows.drop_columns(["audit_id"]), "Audit log"))


@customer_app.command("export")
def customer_export(
    customer_id: Annotated[str, typer.Argument(help="The customer's id as loaded.")],
    output: Annotated[Path, typer.Option("--out", "-o", help="The JSON file to write.")],
    db: DbOpt = None,
) -> None:
    """Write everything stored about one customer to a JSON file (recorded in the audit log)."""
    with errors(), open_store(db) as ws:
        data = ws.customer_data(customer_id)
        if not data:
            raise NotFound(
                f"no customer '{customer_id}' in the store: check the id as it was loaded "
                "(e.g. 'moments card show CUSTOMER_ID'); an erased customer is gone"
            )
        output.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
    rows = sum(len(v) for v in data.values())
    out.print(f"wrote {rows} rows from {len(data)} tables to {output}", highlight=False)


@customer_app.command("erase")
def customer_erase(
    customer_id: Annotated[str, typer.Argument(help="The customer's id as loaded.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    db: DbOpt = None,
) -> None:
    """Erase a customer's personal data: their id becomes a pseudonym and their free text and
    contact details are blanked; every count stays. Later loads refuse their rows. Cannot be
    undone."""
    if not yes:
        typer.confirm(
            f"Erase the personal data of customer '{customer_id}'? This cannot be undone",
            abort=True,
        )
    with errors(), open_store(db) as ws:
        touched = ws.erase_customer(customer_id)
    detail = ", ".join(f"{n} {t}" for t, n in sorted(touched.items()))
    out.print(f"erased customer '{customer_id}': rows changed: {detail}", highlight=False)
    out.print(
        "later loads quarantine their rows; erase them in your source files too", highlight=False
    )
