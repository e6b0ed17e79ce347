"""Demo support conversations: synthetic chats about the lost-wallet journey, from templates.

Nothing here comes from real conversations. Each agent has a seeded habit for each coaching
criterion (how often they apologise, explain, offer options, check understanding, promise with
a time, use internal jargon...), so the coaching page has good and weak examples to show, and
the customer's last turn is more often positive when the agent did well.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pandas as pd

AGENTS = ["ana", "ben", "chloe", "dev", "emma", "farid", "grace", "hugo"]
_NAMES = ["Sam", "Alex", "Maria", "Tom", "Priya", "Jonas", "Lea", "Omar", "Nina", "Paul"]

_PROBLEMS = [
    ("I lost my wallet and my card is gone, can you block it?", "block"),
    ("Been on hold for 40 minutes to report a lost card. This is ridiculous.", "hold"),
    ("I was transferred three times and still nobody blocked my card!", "transfer"),
    ("My replacement card still hasn't arrived and I'm abroad.", "replace"),
    ("There's a payment on my account I did not make after losing my card.", "dispute"),
]
_FACTS = {
    "block": "The card is blocked now, so no new payments can go through.",
    "hold": "Our phone lines are very busy this morning because of a system update.",
    "transfer": "Lost cards are handled by our card team, which is why you were passed on.",
    "replace": "Replacement cards are sent by post and take 3-5 working days to arrive.",
    "dispute": "Payments made after a card is reported lost are refunded once checked.",
}
_OPTIONS = {
    "block": "You can also freeze the card in the app, or we can send a new one.",
    "hold": "You can also use the chat in the app, or we can call you back.",
    "transfer": "You can reach the card team directly on chat, or I can stay with you now.",
    "replace": "We can send an emergency card to your hotel, or you can use a virtual card.",
    "dispute": "We can refund it now as a temporary credit, or open a dispute for you.",
}
_JARGON = "I've raised ticket #{n} with the tier 2 back office per policy."
_BLAME = "You should have reported it sooner."
_POSITIVE_END = [
    "Thank you so much, that worked!",
    "Great, all sorted, thanks!",
    "Perfect, thanks a lot.",
]
_NEUTRAL_END = ["Ok.", "Sent you a DM.", "My number is 0123."]
_NEGATIVE_END = [
    "Still not working. Useless.",
    "This is ridiculous, nobody has called me back.",
    "I'm still waiting and nothing has happened.",
]


def demo_turns(
    conversations: int = 240, weeks: int = 8, seed: int = 7, start: datetime | None = None
) -> pd.DataFrame:
    """Turns (conversation_id, turn_id, role, speaker_id, time, text) of synthetic chats."""
    rng = random.Random(seed)
    skill = {a: {k: rng.uniform(0.2, 0.95) for k in _HABITS} for a in AGENTS}
    begin = start or datetime(2026, 1, 5, 9, tzinfo=UTC)
    rows: list[dict[str, object]] = []
    for c in range(conversations):
        agent = AGENTS[c % len(AGENTS)] if rng.random() < 0.6 else rng.choice(AGENTS)
        cid, customer = f"demo-{c + 1:04d}", f"cust-{rng.randint(1, 5000):05d}"
        name = rng.choice(_NAMES)
        t = begin + timedelta(minutes=rng.randint(0, weeks * 7 * 24 * 60 - 1))
        problem, kind = rng.choice(_PROBLEMS)
        turns: list[tuple[str, str, str]] = [("customer", customer, problem)]
        habit = {k: rng.random() < p for k, p in skill[agent].items()}
        first = []
        first.append(
            rng.choice(["Hi {name},", "Hello {name},", "Hi,"]) if habit["courtesy"] else ""
        )
        if habit["acknowledge"]:
            first.append(
                rng.choice(["I'm so sorry about this.", "I understand how frustrating this is."])
            )
        if habit["explain"]:
            first.append(_FACTS[kind])
        if habit["blame"] and rng.random() < 0.35:
            first.append(_BLAME)
        if habit["options"]:
            first.append(_OPTIONS[kind])
        if habit["jargon"] and rng.random() < 0.4:
            first.append(_JARGON.format(n=rng.randint(10000, 99999)))
        if habit["promise"]:
            first.append(
                rng.choice(["I'll call you back within 2 hours.", "We'll email you today."])
            )
        else:
            first.append("Please DM us your account details.")
        if habit["confirm"]:
            first.append("Will one of these options work for you?")
        if habit["personal"]:
            first.append(f"-{agent.title()}")
        text = " ".join(x for x in first if x).replace("{name}", name)
        turns.append(("agent", agent, text))
        good = sum(habit[k] for k in ("acknowledge", "explain", "options", "confirm", "promise"))
        roll = rng.random()
        if roll < 0.15:
            pass  # the customer never writes again
        elif roll < 0.15 + 0.15 * good:
            turns.append(("customer", customer, rng.choice(_POSITIVE_END)))
        elif roll < 0.9 - 0.1 * good:
            turns.append(("customer", customer, rng.choice(_NEGATIVE_END)))
            if habit["promise"]:  # the agent follows up
                turns.append(
                    ("agent", agent, "As promised, I've checked: it's done. Thanks for waiting.")
                )
        else:
            turns.append(("customer", customer, rng.choice(_NEUTRAL_END)))
        for i, (role, who, words) in enumerate(turns):
            rows.append(
                {
                    "conversation_id": cid,
                    "turn_id": f"{cid}-{i + 1}",
                    "role": role,
                    "speaker_id": who,
                    "time": t + timedelta(minutes=7 * i + rng.randint(0, 5)),
                    "text": words,
                }
            )
    frame = pd.DataFrame(rows)
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return frame


_HABITS = ("courtesy", "acknowledge", "explain", "blame", "options", "jargon", "promise", "confirm",
           "personal")  # fmt: skip
