"""Coaching: criteria per agent turn with evidence, conversation scores, employees by week."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moments.errors import InputError
from moments.frontline.coaching import coach, score_conversations, score_turns
from moments.frontline.coaching_rules import CRITERIA, find, promise_hours


def turns(*rows: tuple[str, str, str, float, str]) -> pd.DataFrame:
    """(conversation, role, speaker, hours after the start, text) rows as a turns frame."""
    start = pd.Timestamp("2026-06-01 09:00", tz="UTC")  # a Monday
    return pd.DataFrame(
        [
            {
                "conversation_id": c,
                "turn_id": f"{c}-{i}",
                "role": role,
                "speaker_id": who,
                "time": start + pd.Timedelta(hours=h),
                "text": text,
            }
            for i, (c, role, who, h, text) in enumerate(rows)
        ]
    )


GOOD = (
    "Hi Sam, I'm so sorry your card was swallowed. The machine keeps cards for security "
    "because the PIN was entered wrongly three times. We can send a new card to your home, or "
    "you can pick one up at the branch. I'll call you back within 2 hours to arrange it. "
    "Will one of these options work for you? -Ann"
)
POOR = (
    "You should have checked the PIN first. I've raised ticket number 55123 with the back "
    "office per policy."
)


@pytest.mark.parametrize(
    ("criterion", "text", "words"),
    [
        ("explain", "Replacement cards take 3 days to arrive by post.", "take 3"),
        (
            "explain",
            "The app is currently unavailable due to maintenance.",
            "is currently unavailable",
        ),
        ("acknowledge", "I understand how frustrating this is.", "I understand"),
        ("acknowledge", "Oh no, that is not what we want to hear.", "Oh no"),
        ("options", "You can also freeze the card in the app.", "You can also freeze"),
        ("options", "Have you tried restarting the router?", "Have you tried"),
        ("confirm", "Does that help?", "Does that help"),
        ("confirm", "Keep us posted on how it goes.", "Keep us posted"),
        ("courtesy", "Thanks for waiting.", "Thanks"),
        ("personal", "Hi Maria, let me check.", "Maria"),
        ("personal", "Let me check that for you. ^JK", "signed JK"),
        ("blame", "That problem is beyond our control.", "beyond our control"),
        ("jargon", "I escalated it to our tier 2 team.", "escalated"),
        ("next_step", "Please DM us your order number.", "DM"),
        ("promise", "We'll email you by Friday with the refund.", "We'll … by Friday"),
    ],
)
def test_each_criterion_is_found_with_its_words(criterion: str, text: str, words: str) -> None:
    assert find(criterion, text) == words


@pytest.mark.parametrize(
    ("criterion", "text"),
    [
        ("explain", "What device are you using?"),
        ("acknowledge", "Thanks for reaching out."),
        ("options", "Please DM us your email address."),  # a next step, not an option
        ("confirm", "Let us know if you need anything else."),
        ("personal", "Hi there, how can we help?"),
        ("blame", "We're sorry for the delay."),
        ("jargon", "Your order ships tomorrow."),
        ("promise", "We'll look into it."),  # a promise with no time
        ("promise", "Refunds take 5 days."),  # a time with no promise
        ("promise", "We are here 24/7 to help."),
    ],
)
def test_criteria_are_not_found_where_they_are_absent(criterion: str, text: str) -> None:
    assert find(criterion, text) is None


def test_promise_deadlines() -> None:
    assert promise_hours("I'll call you back within 2 hours.") == 2
    assert promise_hours("We'll email you today.") == 24
    assert promise_hours("We will reply in 3-5 days.") == 5 * 24
    assert promise_hours("They'll be in touch shortly.") == 2
    assert promise_hours("We'll look into it.") is None


def test_a_good_conversation_meets_every_criterion_with_evidence() -> None:
    chat = turns(
        ("g", "customer", "u1", 0, "The cash machine swallowed my card! Ridiculous."),
        ("g", "agent", "ann", 0.1, GOOD),
        ("g", "customer", "u1", 0.5, "A new card at home please."),
        ("g", "agent", "ann", 1.5, "As promised: your new card is on its way. Thanks, Sam!"),
        ("g", "customer", "u1", 1.6, "Brilliant, thank you so much!"),
    )
    row = score_conversations(chat).iloc[0]
    assert row["unwelcome_news"]
    assert row["score"] == 1.0 and row["missing"] == ""
    assert row["step_explain_evidence"] == "g-1: because"
    assert row["step_confirm_evidence"].startswith("g-1: Will one of these")
    assert row["follow_through"] == "kept"
    assert "signed Ann" in row["respect_evidence"]
    assert (row["start_valence"], row["end_valence"], bool(row["turned_around"])) == (
        "negative", "positive", True,
    )  # fmt: skip


def test_blame_jargon_and_a_broken_promise_are_what_is_missing() -> None:
    chat = turns(
        ("p", "customer", "u2", 0, "My card was declined abroad and I'm stuck."),
        ("p", "agent", "bob", 0.2, POOR),
        ("p", "agent", "bob", 0.3, "We'll call you back within 1 hour."),
        ("p", "customer", "u2", 3, "Nobody called. Still stuck."),
    )
    row = score_conversations(chat).iloc[0]
    assert not row["respect"] and "blame p-1: You should have" in row["respect_evidence"]
    assert not row["simplicity"] and "jargon p-1:" in row["simplicity_evidence"]
    assert row["follow_through"] == "broken" and not row["responsibility"]
    assert set(row["missing"].split(", ")) == {
        "step_explain", "step_acknowledge", "step_options", "step_confirm",
        "respect", "solutions", "simplicity", "responsibility",
    }  # fmt: skip
    assert row["score"] == 0.0


def test_steps_count_only_when_the_news_is_unwelcome() -> None:
    chat = turns(
        ("q", "customer", "u3", 0, "What time do you open on Sunday?"),
        ("q", "agent", "cat", 0.1, "Hi Jo, we open at 10am on Sundays. Please pop in! -Cat"),
    )
    row = score_conversations(chat).iloc[0]
    assert not row["unwelcome_news"]
    assert row["missing"] == "solutions, responsibility" and row["score"] == 0.5


def test_each_agent_in_a_conversation_is_scored_on_their_own_turns() -> None:
    chat = turns(
        ("m", "customer", "u4", 0, "My parcel is lost."),
        ("m", "agent", "ann", 0.1, GOOD),
        ("m", "agent", "bob", 0.2, POOR),
    )
    got = score_conversations(chat).set_index("employee_id")
    assert got.loc["ann", "score"] > got.loc["bob", "score"]
    assert got.loc["bob", "agent_turns"] == 1


def test_employees_by_week_and_the_conversations_to_coach_on() -> None:
    rows = []
    for week in range(3):
        for n, (agent, text) in enumerate([("ann", GOOD), ("bob", POOR), ("bob", GOOD)]):
            c = f"w{week}-{n}"
            h = week * 24 * 7 + n
            rows += [(c, "customer", f"u{n}", h, "My card is lost, please help!"),
                     (c, "agent", agent, h + 0.1, text)]  # fmt: skip
    result = coach(turns(*rows), examples=2)
    weekly = result.weekly.set_index(["employee_id", "week"])
    assert len(weekly) == 6 and weekly["conversations"].sum() == 9
    assert str(weekly.index[0][1]) == "2026-06-01"  # weeks start on Monday
    assert (weekly.xs("ann")["score"] > weekly.xs("bob")["score"]).all()
    ex = result.examples
    assert ex.groupby("employee_id").size().to_dict() == {"ann": 2, "bob": 2}
    bob = ex[ex["employee_id"] == "bob"]
    assert bob["score"].is_monotonic_increasing and "respect" in bob["missing"].iloc[0]


def test_turns_without_the_needed_columns_are_a_clear_error() -> None:
    with pytest.raises(InputError, match="lack column"):
        score_turns(pd.DataFrame({"text": ["hi"]}))


agent_text = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["🙏🙏", "^", "-", "Hi ,", "We'll in 5", "¿Podría decirnos?", GOOD, POOR]),
    st.builds(lambda n: "Sorry, we'll call you within 2 hours. " * n, st.integers(20, 60)),
)


@settings(max_examples=30, deadline=None)
@given(st.lists(agent_text, min_size=1, max_size=3))
def test_scoring_never_crashes_and_is_deterministic(texts: list[str]) -> None:
    chat = turns(*[("h", "agent", "zed", i, t) for i, t in enumerate(texts)])
    first = score_turns(chat)
    pd.testing.assert_frame_equal(first, score_turns(chat))
    for c in CRITERIA:
        assert first[c].dtype == bool
        assert (first[c] == (first[f"{c}_evidence"] != "")).all()
    conv = score_conversations(chat)
    assert 0.0 <= conv["score"].iloc[0] <= 1.0
