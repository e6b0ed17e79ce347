"""Unwelcome news in four steps: explain, acknowledge, offer the options, confirm.

When a playbook's response to a request is a "no" or a delay, the agent gets the four steps
with phrasings filled with the case's facts (the customer, the request, the moment, its date,
the options and when an open case is due).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from pydantic import BaseModel

from moments.frontline.playbook import Playbook, Request

STEPS = (
    ("Explain", "Explain the situation factually, without blaming anyone."),
    ("Acknowledge", "Acknowledge the customer's feelings."),
    ("Offer", "Offer the options that exist."),
    ("Confirm", "Confirm the customer's understanding and agreement."),
)
DEFAULT_ACKNOWLEDGE = (
    "I understand this is not the answer you hoped for, {customer}, and that it is frustrating."
)
OFFER = "Here is what I can do for you: {options}."
CONFIRM = "Will one of these options work for you?"


class Facts(BaseModel):
    """What a phrasing's placeholders are filled with."""

    customer: str
    request: str
    moment: str = "this moment"
    date: str = "today"
    options: str = ""
    due: str = "the date we promise"


class Step(BaseModel):
    number: int
    name: str
    aim: str
    say: str


class OptionView(BaseModel):
    id: str
    text: str
    who: str


class Guide(BaseModel):
    """The four steps for one request whose answer is ``no`` or ``delay``."""

    playbook_id: str
    request_id: str
    request: str
    answer: str
    steps: list[Step]
    options: list[OptionView]
    avoid: list[str]


def when(d: date | datetime | None) -> str:
    """A date as said to a customer: ``Tuesday 3 March``."""
    if d is None:
        return "today"
    return f"{d:%A} {d.day} {d:%B}"


def fill(text: str, facts: Facts) -> str:
    values: defaultdict[str, str] = defaultdict(str, facts.model_dump())
    return text.format_map(values)


def join_options(texts: list[str]) -> str:
    """``a``, ``a, or b``, ``a, b, or c``."""
    if len(texts) <= 1:
        return "".join(texts)
    return ", ".join(texts[:-1]) + ", or " + texts[-1]


def options_for(request: Request, facts: Facts) -> list[OptionView]:
    return [OptionView(id=o.id, text=fill(o.text, facts), who=o.who) for o in request.options]


def guide(playbook: Playbook, request: Request, facts: Facts) -> Guide | None:
    """The four steps with filled phrasings; ``None`` when the answer is a plain yes."""
    if request.response.answer == "yes":
        return None
    options = options_for(request, facts)
    facts = facts.model_copy(update={"options": join_options([o.text for o in options])})
    says = (
        fill(request.response.explain, facts),
        fill(request.response.acknowledge or DEFAULT_ACKNOWLEDGE, facts),
        fill(OFFER, facts),
        CONFIRM,
    )
    steps = [
        Step(number=i + 1, name=name, aim=aim, say=say)
        for i, ((name, aim), say) in enumerate(zip(STEPS, says, strict=True))
    ]
    return Guide(
        playbook_id=playbook.id,
        request_id=request.id,
        request=request.name,
        answer=request.response.answer,
        steps=steps,
        options=options,
        avoid=playbook.words_to_avoid(request),
    )
