"""Transcripts: valence per customer turn, start and end of a conversation, turned around."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moments.errors import InputError
from moments.journey import load_journey
from moments.text.transcript import (
    VALENCES,
    LexiconValence,
    Valence,
    ValenceModel,
    judge_conversations,
    judge_turns,
    moments_mentioned,
)
from tests.conftest import BANK


def turns(*rows: tuple[str, str, str, str, str]) -> pd.DataFrame:
    """(conversation, role, speaker, minute, text) rows as a turns frame."""
    return pd.DataFrame(
        [
            {
                "conversation_id": c,
                "turn_id": f"{c}-{i}",
                "role": role,
                "speaker_id": who,
                "time": pd.Timestamp("2026-05-04 09:00", tz="UTC") + pd.Timedelta(minutes=int(m)),
                "text": text,
            }
            for i, (c, role, who, m, text) in enumerate(rows)
        ]
    )


CHATS = turns(
    # a negative start the agent turns around
    ("a", "customer", "u1", "0", "My replacement card still hasn't arrived and I'm abroad."),
    ("a", "agent", "eva", "5", "So sorry! We can send an emergency card to your hotel."),
    ("a", "customer", "u1", "9", "That worked, thank you so much!"),
    # no reply after the agent: no end
    ("b", "customer", "u2", "1", "I was charged twice for the same order. Unacceptable."),
    ("b", "agent", "eva", "3", "Please DM us your order number."),
    # a neutral question, and another customer joining in who is not "the customer"
    ("c", "customer", "u3", "0", "What time do you open on Sunday?"),
    ("c", "agent", "max", "2", "We open at 10am on Sundays."),
    ("c", "customer", "u9", "3", "This shop is the worst, always late!"),
    ("c", "customer", "u3", "4", "Ok."),
    # still negative at the end
    ("d", "customer", "u4", "0", "The app keeps crashing when I try to log in."),
    ("d", "agent", "max", "1", "Have you tried reinstalling it?"),
    ("d", "customer", "u4", "2", "Already did that. Still not working. Useless."),
    # only agent turns
    ("e", "agent", "max", "0", "Happy Friday everyone!"),
)


def test_lexicon_valence_names_its_evidence() -> None:
    model = LexiconValence()
    got = model.valence(
        [
            "Thanks so much, that worked!",
            "My order still hasn't arrived after two weeks",
            "What time do you open on Sunday?",
            "",
        ]
    )
    assert [g.valence for g in got] == ["positive", "negative", "neutral", "neutral"]
    assert "worked" in " ".join(got[0].evidence) or "thank" in " ".join(got[0].evidence).lower()
    assert any("hasn't arrived" in e for e in got[1].evidence)
    assert got[2].evidence == ()
    assert all(0 <= g.confidence <= 1 for g in got)


def test_politeness_in_a_complaint_does_not_make_it_positive() -> None:
    plain = LexiconValence(0.0, 0.0, support=False)
    text = "Please help, my internet is down again. Thanks"
    assert plain.valence([text])[0].valence == "positive"  # what VADER alone says
    assert LexiconValence().valence([text])[0].valence == "negative"


def test_start_end_and_turned_around_per_conversation() -> None:
    got = judge_conversations(CHATS).set_index("conversation_id")
    assert got.loc["a", ["start_valence", "end_valence"]].tolist() == ["negative", "positive"]
    assert bool(got.loc["a", "turned_around"]) is True and got.loc["a", "change"] == 2
    assert got.loc["a", "start_turn_id"] == "a-0" and got.loc["a", "end_turn_id"] == "a-2"
    assert got.loc["b", "start_valence"] == "negative"
    assert pd.isna(got.loc["b", "end_valence"]) and pd.isna(got.loc["b", "turned_around"])
    # the other customer's complaint is not the end of u3's conversation
    assert got.loc["c", ["customer_id", "start_valence", "end_valence"]].tolist() == [
        "u3", "neutral", "neutral",
    ]  # fmt: skip
    assert pd.isna(got.loc["c", "turned_around"])  # only a negative start can be turned around
    assert (
        got.loc["d", "end_valence"] == "negative" and bool(got.loc["d", "turned_around"]) is False
    )
    assert got.loc["d", "agent_ids"] == "max" and got.loc["d", "turns"] == 3
    assert pd.isna(got.loc["e", "start_valence"]) and got.loc["e", "customer_turns"] == 0


def test_row_order_does_not_change_the_judgement() -> None:
    shuffled = CHATS.sample(frac=1.0, random_state=3)
    a = judge_conversations(CHATS).sort_values("conversation_id").reset_index(drop=True)
    b = judge_conversations(shuffled).sort_values("conversation_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_moments_mentioned_from_keywords_or_a_journey() -> None:
    keywords = {"replace": ["replacement card", "abroad"], "hotline": ["on hold"]}
    found = moments_mentioned(["My replacement card is lost ABROAD", "no match"], keywords)
    assert found == [[("replace", ("replacement card", "abroad"))], []]
    by_turn = judge_turns(CHATS, moments=load_journey(BANK)).set_index("turn_id")
    assert "card-arrives" in by_turn.loc["a-0", "moments"].split(",")  # keyword "abroad"
    assert "abroad" in by_turn.loc["a-0", "moment_evidence"]
    conv = judge_conversations(CHATS, moments=keywords).set_index("conversation_id")
    assert conv.loc["a", "moments"] == "replace" and conv.loc["d", "moments"] == ""


class ShoutModel:
    """A different valence model: all capitals is negative. Shows the interface is pluggable."""

    name = "shout"

    def valence(self, texts: Sequence[str]) -> list[Valence]:
        return [
            Valence("negative", 0.9, (t,)) if t.isupper() else Valence("neutral", 0.6, ())
            for t in texts
        ]


def test_another_valence_model_can_replace_the_lexicon() -> None:
    model = ShoutModel()
    assert isinstance(model, ValenceModel)
    chats = turns(
        ("x", "customer", "u", "0", "WHERE IS MY PARCEL"),
        ("x", "agent", "a", "1", "On its way."),
        ("x", "customer", "u", "2", "great, thanks"),
    )
    got = judge_conversations(chats, model).iloc[0]
    assert (got["start_valence"], got["end_valence"]) == ("negative", "neutral")
    assert got["start_evidence"] == "WHERE IS MY PARCEL"


def test_turns_without_the_needed_columns_are_a_clear_error() -> None:
    with pytest.raises(InputError, match="lack column"):
        judge_conversations(CHATS.drop(columns=["role"]))


texts = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["😡😡😡", "🙂", "👍🏽🎃", "   ", "\x00\x01", "ok", "¡Muy mal servicio!"]),
    st.builds(
        lambda a, b: a + " " + b,
        st.sampled_from(["Merci", "Danke", "ありがとう"]),
        st.sampled_from(["thanks a lot", "still broken", "???"]),
    ),
    st.builds(lambda n: "terrible service " * n, st.integers(300, 600)),  # past the 5,000 cut
)


@settings(max_examples=40, deadline=None)
@given(st.lists(texts, min_size=1, max_size=3))
def test_valence_never_crashes_and_is_deterministic(batch: list[str]) -> None:
    model = LexiconValence()
    first = model.valence(batch)
    assert first == model.valence(batch)
    assert len(first) == len(batch)
    for v in first:
        assert v.valence in VALENCES and 0.0 <= v.confidence <= 1.0
        assert all(isinstance(e, str) for e in v.evidence)


def test_a_trained_text_model_can_judge_the_valence() -> None:
    from moments.text.model import new_model
    from moments.text.transcript import ModelValence

    texts = [
        "my card is blocked and nobody helps", "the card arrived quickly, great",
        "the app keeps crashing", "love the new app",
        "delivery was late again", "delivery on time, thanks",
    ] * 3  # fmt: skip
    labels = [[(c, p)] for c in ("card", "app", "delivery") for p in ("negative", "positive")] * 3
    model = ModelValence(new_model("linear").fit(texts, labels))
    got = model.valence(["the app crashed again", "great delivery", ""])
    assert [g.valence for g in got[:2]] == ["negative", "positive"]
    assert got[0].evidence and all(0 <= g.confidence <= 1 for g in got)
    conv = judge_conversations(CHATS, model).set_index("conversation_id")
    assert conv.loc["d", "start_valence"] == "negative"  # "The app keeps crashing ..."
