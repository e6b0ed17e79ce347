"""Small labelled comments about a store visit, written for the text tests (not from a dataset).

Categories are moment ids of the retail journey (``retail-store-visit``), so the same comments
train models for the judge tests. ``comments(n, seed)`` builds ``n`` comments from hand-written
phrases: most name one moment, some two, each with its own polarity.
"""

from __future__ import annotations

import random
from pathlib import Path

from moments.text.corpus import Labelled, write_comments

SUBJECTS = {
    "checkout": ["the checkout", "the queue at the till", "paying", "the cashier", "the till"],
    "greeting": ["the welcome", "the greeting at the door", "being greeted", "the doorman"],
    "dressing-room": ["the fitting room", "the dressing room", "trying things on", "the cubicle"],
    "styling-advice": ["the stylist", "the style advice", "her suggestions", "the advice"],
    "find-parking": ["parking", "the car park", "finding a space", "the parking lot"],
}
SAYS = {
    "positive": [
        "was brilliant",
        "was quick and easy",
        "was lovely",
        "was really helpful",
        "was excellent",
        "made my day",
    ],
    "negative": [
        "was awful",
        "took forever",
        "was rude and slow",
        "was a nightmare",
        "was terrible",
        "ruined the visit",
    ],
    "neutral": ["was fine I guess", "was as expected", "was okay", "was nothing special"],
}

# Hand-written ones that the templates do not cover: mixed verdicts, other languages, no moment.
EXTRA: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Loved the stylist but the queue at the till was a joke",
        [("styling-advice", "positive"), ("checkout", "negative")],
    ),
    (
        "The fitting room was spotless and the cashier was grumpy",
        [("dressing-room", "positive"), ("checkout", "negative")],
    ),
    (
        "Parking was a disaster, the welcome was warm",
        [("find-parking", "negative"), ("greeting", "positive")],
    ),
    ("Fila no caixa enorme, péssimo atendimento", [("checkout", "negative")]),
    ("O provador estava limpo e ótimo", [("dressing-room", "positive")]),
]


def comments(n: int = 90, seed: int = 0) -> list[Labelled]:
    """``n`` labelled comments (plus the hand-written extras), the same for the same seed."""
    rng = random.Random(seed)
    moments = sorted(SUBJECTS)
    out: list[Labelled] = []
    for i in range(n):
        picked = rng.sample(moments, 2 if i % 4 == 3 else 1)
        parts, labels = [], []
        for m in picked:
            pol = rng.choice(["positive", "positive", "negative", "negative", "neutral"])
            parts.append(f"{rng.choice(SUBJECTS[m])} {rng.choice(SAYS[pol])}")
            labels.append((m, pol))
        text = " and ".join(parts)
        out.append(Labelled(f"c{i}", text[0].upper() + text[1:] + ".", tuple(labels)))
    for j, (text, labels) in enumerate(EXTRA):
        out.append(Labelled(f"x{j}", text, tuple(labels)))
    return out


def write_jsonl(path: Path, n: int = 90, seed: int = 0) -> Path:
    write_comments(comments(n, seed), path)
    return path
