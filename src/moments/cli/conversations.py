"""``moments conversations``: judge support conversations and coach the agents who had them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer

from moments.cli import render
from moments.cli.common import emit, err, errors, out, write_table
from moments.errors import InputError, Problem
from moments.text.conversation import Turns, load_turns

conversations_app = typer.Typer(
    help="Support conversations: the customer's valence at the start and end, and coaching.",
    no_args_is_help=True,
)

TurnsArg = Annotated[
    Path,
    typer.Argument(
        help="Turns file: CSV/JSONL with conversation_id, turn_id, role (customer|agent), "
        "speaker_id, time, text — or the Customer Support on Twitter CSV (.csv/.csv.gz)."
    ),
]
FormatOpt = Annotated[
    str | None, typer.Option("--format", help="csv, jsonl or twcs [default: from the file].")
]


def _read(file: Path, fmt: str | None) -> Turns:
    if fmt not in (None, "csv", "jsonl", "twcs"):
        raise InputError(Problem(f"unknown format '{fmt}'", "use csv, jsonl or twcs"))
    turns = load_turns(file, fmt)
    if turns.problems:
        render.problems(err, turns.problems, f"{len(turns.problems)} row(s) skipped:")
    if not turns.ok:
        raise InputError(Problem("no usable turns in the file", "fix the rows above", str(file)))
    out.print(
        f"read {len(turns.frame):,} turns in {turns.conversations:,} conversations"
        + (f" ({len(turns.problems)} bad rows skipped)" if turns.problems else ""),
        highlight=False,
    )
    return turns


def _arrow(frame: object) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)


@conversations_app.command("judge")
def judge(
    file: TurnsArg,
    output: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write per-conversation rows (.csv/.parquet)."),
    ] = None,
    journey: Annotated[
        Path | None,
        typer.Option("--journey", "-j", help="Journey YAML: report the moments each mentions."),
    ] = None,
    fmt: FormatOpt = None,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            help="A trained text model (moments text train) to judge valence instead of the "
            "lexicon.",
        ),
    ] = None,
) -> None:
    """The customer's valence at the start and at the end of each conversation, with evidence."""
    from moments.journey import load_journey
    from moments.text.transcript import ModelValence, ValenceModel, judge_conversations

    with errors():
        turns = _read(file, fmt)
        j = load_journey(journey) if journey else None
        judge_with: ValenceModel | None = None
        if model is not None:
            from moments.text.model import load_model

            judge_with = ModelValence(load_model(model))
        result = judge_conversations(turns.frame, judge_with, moments=j)
        ends = result["end_valence"].notna()
        around = result["turned_around"].fillna(False).astype(bool)
        negative = (result["start_valence"] == "negative") & ends
        if output is not None:
            write_table(_arrow(result), output)
            out.print(f"wrote {len(result):,} conversations to {output}")
        else:
            cols = {
                "conversation_id": "conversation",
                "start_valence": "start",
                "end_valence": "end",
                "turned_around": "turned",
                "moments": "moments",
            }
            shown = result[list(cols)].rename(columns=cols)
            emit(_arrow(shown), None, "Conversations (--out for evidence and all columns)")
    out.print(
        f"{int(ends.sum()):,} of {len(result):,} conversations have an end; "
        f"{int(around.sum()):,} of {int(negative.sum()):,} negative starts ended positive",
        highlight=False,
    )


@conversations_app.command("coach")
def coach_cmd(
    file: TurnsArg,
    employee: Annotated[
        str | None, typer.Option("--employee", "-e", help="Only this employee (speaker_id).")
    ] = None,
    examples: Annotated[int, typer.Option(help="Conversations to coach on per employee.")] = 3,
    output: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the per-conversation scores (.csv/.parquet)."),
    ] = None,
    fmt: FormatOpt = None,
) -> None:
    """Score agents on the four steps and the four expectations: weekly, with examples."""
    from moments.frontline.coaching import coach

    with errors():
        turns = _read(file, fmt)
        result = coach(turns.frame, examples=examples)
        weekly, ex, conv = result.weekly, result.examples, result.conversations
        if employee is not None:
            if employee not in set(conv["employee_id"]):
                known = ", ".join(sorted(set(conv["employee_id"]))[:10])
                raise InputError(
                    Problem(f"no conversations by employee '{employee}'", f"known: {known}")
                )
            weekly = weekly[weekly["employee_id"] == employee]
            ex = ex[ex["employee_id"] == employee]
            conv = conv[conv["employee_id"] == employee]
        if output is not None:
            write_table(_arrow(conv), output)
            out.print(f"wrote {len(conv):,} scored conversations to {output}")
        short = {
            "employee_id": "employee",
            "conversations": "n",
            "responsibility": "respons.",
            "simplicity": "simpl.",
            "solutions": "solut.",
            "turned_around": "turned",
        }
        emit(_arrow(weekly.rename(columns=short)), None, "Coaching scores by employee and week")
        shown = ex[["employee_id", "conversation_id", "score", "missing"]].rename(columns=short)
        shown["missing"] = shown["missing"].str.replace("step_", "", regex=False)
        emit(_arrow(shown), None, "Conversations to coach on (lowest scores; --out for evidence)")
