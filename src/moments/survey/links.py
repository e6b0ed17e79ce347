"""Survey links in bulk: one signed URL per customer and moment (and interaction)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import pyarrow as pa

from moments.errors import InputError, Problem
from moments.survey.answers import find_survey
from moments.survey.secret import store_secret
from moments.survey.tokens import DEFAULT_VALID_FOR, make_token, utc

if TYPE_CHECKING:
    from moments.workspace import Workspace

LINKS_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("moment_id", pa.string()),
        ("interaction_id", pa.string()),
        ("expires_at", pa.timestamp("s", tz="UTC")),
        ("token", pa.string()),
        ("url", pa.string()),
    ]
)


def _text(row: Mapping[str, Any], key: str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _base(base_url: str) -> str:
    base = base_url.strip().rstrip("/")
    if not base.startswith(("http://", "https://")) or base in ("http:", "https:"):
        raise InputError(
            Problem(
                f"base URL '{base_url}' is not an http(s) address",
                "give where the survey pages are served, e.g. https://survey.example.com",
                field="base_url",
            )
        )
    return base


def survey_links(
    ws: Workspace,
    rows: Iterable[Mapping[str, Any]],
    base_url: str,
    valid_for: timedelta = DEFAULT_VALID_FOR,
    *,
    now: datetime | None = None,
    file: str | None = None,
) -> pa.Table:
    """One survey token and URL (``{base_url}/s/{token}``) per row.

    Each row has ``customer_id``, ``moment_id`` and optionally ``interaction_id`` and ``line``
    (where it came from, for problems; with ``file``). Every moment must be in a registered
    journey with a survey; otherwise an :class:`InputError` lists every bad row and no link is
    made. All links expire together, ``valid_for`` from ``now``, to the second.
    Columns: customer_id, moment_id, interaction_id, expires_at, token, url.
    """
    if valid_for <= timedelta(0):
        raise InputError(
            Problem("links must be valid for some time", "pass a positive duration", field="days")
        )
    base = _base(base_url)
    start = utc(now or datetime.now(UTC), "now").replace(microsecond=0)
    expires_at = start + valid_for
    checked: dict[str, Problem | None] = {}
    problems: list[Problem] = []
    todo: list[tuple[str, str, str | None]] = []
    for n, row in enumerate(rows, start=1):
        line = row.get("line")
        where = "" if line is not None else f"row {n}: "
        customer, moment = _text(row, "customer_id"), _text(row, "moment_id")
        missing = [k for k, v in (("customer_id", customer), ("moment_id", moment)) if v is None]
        for key in missing:
            problems.append(
                Problem(f"{where}{key} is empty", f"give every row a {key}", file, line, field=key)
            )
        if customer is None or moment is None:
            continue
        if moment not in checked:
            try:
                find_survey(ws, moment)
                checked[moment] = None
            except InputError as e:
                checked[moment] = e.problems[0]
        bad = checked[moment]
        if bad is not None:
            problems.append(Problem(where + bad.what, bad.fix, file, line, field="moment_id"))
            continue
        todo.append((customer, moment, _text(row, "interaction_id")))
    if problems:
        raise InputError(problems)
    secret = store_secret(ws)
    tokens = [make_token(secret, c, m, i, expires_at=expires_at) for c, m, i in todo]
    return pa.table(
        {
            "customer_id": [c for c, _, _ in todo],
            "moment_id": [m for _, m, _ in todo],
            "interaction_id": [i for _, _, i in todo],
            "expires_at": [expires_at] * len(todo),
            "token": tokens,
            "url": [f"{base}/s/{t}" for t in tokens],
        },
        schema=LINKS_SCHEMA,
    )


def invites_for_interactions(ws: Workspace, interaction_ids: Iterable[str]) -> list[dict[str, str]]:
    """Rows for :func:`survey_links` from stored interactions: their customer and moment.

    Keeps the order given (each id once); an :class:`InputError` names every id not stored.
    """
    ids = list(dict.fromkeys(str(i).strip() for i in interaction_ids if str(i).strip()))
    if not ids:
        return []
    wanted = ibis.memtable(pa.table({"w_id": pa.array(ids, pa.string())}))
    i = ws.events("interaction")
    found = i.join(wanted, i.event_id == wanted.w_id).select("event_id", "customer_id", "moment_id")
    by_id = {r["event_id"]: r for r in found.to_pyarrow().to_pylist()}
    missing = [x for x in ids if x not in by_id]
    if missing:
        shown = ", ".join(f"'{x}'" for x in missing[:20])
        more = f" and {len(missing) - 20} more" if len(missing) > 20 else ""
        raise InputError(
            Problem(
                f"{len(missing)} interaction(s) not in the store: {shown}{more}",
                "load the interactions first (moments load --kind interaction), or check the ids",
                field="interaction_id",
            )
        )
    return [
        {
            "customer_id": by_id[x]["customer_id"],
            "moment_id": by_id[x]["moment_id"],
            "interaction_id": x,
        }
        for x in ids
    ]
