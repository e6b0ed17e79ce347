"""The coaching page: agents' conversation scores over time and the conversations to coach on.

Conversations are not kept in the store: the page scores a turns file that is uploaded, or the
file named by ``MOMENTS_CONVERSATIONS_FILE``, or (``?example=1``) generated example chats.
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse

from moments.errors import InputError, Problem
from moments.frontline.coaching import EXPECTATIONS, STEPS, Coaching, coach
from moments.text.conversation import Turns, load_turns
from moments.web import charts
from moments.web.access import principal_of
from moments.web.app import templates

router = APIRouter(include_in_schema=False)

ENV_FILE = "MOMENTS_CONVERSATIONS_FILE"
MAX_EMPLOYEES = 60
MAX_BYTES = 50 * 1024 * 1024


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if not isinstance(v, str | list) and pd.isna(v) else v) for k, v in r.items()}
        for r in frame.to_dict(orient="records")
    ]


def _page(
    request: Request,
    turns: Turns | None,
    source: str,
    employee: str | None,
    link: str | None = None,
) -> HTMLResponse:
    ctx: dict[str, Any] = {
        "title": "Coaching",
        "source": source,
        "link": link,
        "employee": employee,
        "problems": turns.problems[:20] if turns else [],
        "more_problems": max(0, len(turns.problems) - 20) if turns else 0,
        "steps": STEPS,
        "expectations": EXPECTATIONS,
        "employees": [],
        "examples": [],
    }
    if turns is not None and turns.ok:
        result = _example_coaching() if turns is _EXAMPLE else coach(turns.frame, examples=3)
        result = result.seen_by(principal_of(request))  # a coach: their team only
        conv, weekly, examples = result.conversations, result.weekly, result.examples
        if employee:
            if employee not in set(conv["employee_id"]):
                raise InputError(
                    Problem(f"no conversations by employee '{employee}'", "pick one from the list")
                )
            conv = conv[conv["employee_id"] == employee]
            weekly = weekly[weekly["employee_id"] == employee]
            examples = examples[examples["employee_id"] == employee]
        summary = (
            conv.assign(ta=conv["turned_around"].astype("Float64"))
            .groupby("employee_id")
            .agg(
                conversations=("conversation_id", "count"),
                score=("score", "mean"),
                **{e: (e, "mean") for e in EXPECTATIONS},
                turned_around=("ta", "mean"),
            )
            .reset_index()
            .sort_values(["conversations", "employee_id"], ascending=[False, True])
            .head(MAX_EMPLOYEES)
        )
        employees = _records(summary)
        for e in employees:
            weeks = weekly[weekly["employee_id"] == e["employee_id"]]
            e["trend"] = charts.line(
                [(str(w), s) for w, s in zip(weeks["week"], weeks["score"], strict=True)],
                width=180,
                height=40,
                label=f"weekly score of {e['employee_id']}",
                lo=0.0,
                hi=1.0,
                fit=False,
            )
        shown = {e["employee_id"] for e in employees}
        ctx.update(
            employees=employees,
            total_employees=int(conv["employee_id"].nunique()),
            conversations=int(conv["conversation_id"].nunique()),
            weekly=_records(weekly) if employee else [],
            examples=_records(examples[examples["employee_id"].isin(shown)]),
        )
    return templates.TemplateResponse(request, "coaching.html", ctx)


_EXAMPLE = Turns(pd.DataFrame({"conversation_id": ["example"]}))  # a marker: see _example_coaching


@cache
def _example_coaching() -> Coaching:
    """The generated example chats, scored once per process (they never change)."""
    from moments.demo.conversations import demo_turns

    return coach(demo_turns(), examples=3)


@router.get("/coaching", response_class=HTMLResponse)
def coaching_page(
    request: Request,
    example: Annotated[bool, Query(description="Score generated example chats.")] = False,
    employee: Annotated[str | None, Query(description="Only this employee.")] = None,
) -> HTMLResponse:
    if example:
        return _page(request, _EXAMPLE, "generated example conversations", employee, "example=1&")
    configured = os.environ.get(ENV_FILE)
    if configured:
        return _page(request, load_turns(configured), Path(configured).name, employee, "")
    return _page(request, None, "", employee)


@router.post("/coaching", response_class=HTMLResponse)
async def coaching_upload(
    request: Request,
    file: Annotated[UploadFile, File(description="A turns CSV/JSONL or the support-tweet CSV.")],
    employee: Annotated[str | None, Form()] = None,
) -> HTMLResponse:
    name = Path(file.filename or "turns.csv").name
    data = await file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InputError(Problem("the file is larger than 50 MB", "score it with the CLI", name))
    suffix = "".join(Path(name).suffixes[-2:]) or ".csv"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            turns = load_turns(path)
        except InputError as e:  # name the user's file, not our temporary copy
            raise InputError(
                [Problem(p.what, p.fix, name, p.line, p.column, p.field) for p in e.problems]
            ) from None
    turns.problems = [
        Problem(p.what, p.fix, name, p.line, p.column, p.field) for p in turns.problems
    ]
    return _page(request, turns, name, employee or None)
