"""Unwelcome news in four steps, filled with the case's facts."""

from __future__ import annotations

from datetime import date

from moments.frontline.guide import CONFIRM, STEPS, Facts, guide, join_options, when
from moments.frontline.playbook import collect, shipped_dir
from moments.journey import load_journey
from tests.conftest import BANK

PLAYBOOKS = {p.id: p for p in collect([shipped_dir()], [load_journey(BANK)])}


def test_a_no_gets_the_four_steps_with_the_facts_filled() -> None:
    pb = PLAYBOOKS["replacement-abroad"]
    req = pb.request("replacement-abroad")
    facts = Facts(customer="c-42", request=req.name, moment="card arrives", date="Monday 2 March")
    g = guide(pb, req, facts)
    assert g is not None and g.answer == "no"
    assert [s.name for s in g.steps] == [name for name, _ in STEPS]
    explain, acknowledge, offer, confirm = (s.say for s in g.steps)
    assert explain.startswith("We can only post cards to your home address")
    assert "blame" not in explain and "you should" not in explain
    assert "c-42" in acknowledge  # the customer's own case
    texts = [o.text for o in req.options]
    assert offer == f"Here is what I can do for you: {join_options(texts)}."
    assert confirm == CONFIRM == "Will one of these options work for you?"
    assert [o.id for o in g.options] == [o.id for o in req.options]
    assert "you'll have to wait" in g.avoid


def test_a_delay_fills_dates_and_due_and_a_yes_has_no_guide() -> None:
    pb = PLAYBOOKS["dispute-a-payment"]
    req = pb.request("payment-status")
    facts = Facts(customer="c-7", request=req.name, date=when(date(2026, 3, 2)),
                  due=when(date(2026, 3, 12)))  # fmt: skip
    g = guide(pb, req, facts)
    assert g is not None and g.answer == "delay"
    assert "opened on Monday 2 March" in g.steps[0].say
    assert "due by Thursday 12 March" in g.steps[0].say
    default = "I understand this is not the answer you hoped for, c-7, and that it is frustrating."
    assert g.steps[1].say == default  # no acknowledgement written: the default words
    callback = PLAYBOOKS["dispute-a-payment"].request("dispute-payment")
    g2 = guide(pb, callback, facts)
    assert g2 is not None and "by Thursday 12 March" in g2.options[-1].text
    assert (
        guide(PLAYBOOKS["lost-card"], PLAYBOOKS["lost-card"].request("block-my-card"), facts)
        is None
    )


def test_options_are_joined_as_spoken() -> None:
    assert join_options([]) == ""
    assert join_options(["a"]) == "a"
    assert join_options(["a", "b"]) == "a, or b"
    assert join_options(["a", "b", "c"]) == "a, b, or c"
    assert when(None) == "today"
