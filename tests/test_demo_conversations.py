"""Demo conversations: valid turns, seeded, with agents who differ."""

from __future__ import annotations

import pandas as pd

from moments.demo.conversations import AGENTS, demo_turns
from moments.frontline.coaching import coach
from moments.text.conversation import turns_from_frame


def test_demo_turns_are_valid_seeded_and_varied() -> None:
    a = demo_turns(conversations=80, seed=3)
    pd.testing.assert_frame_equal(a, demo_turns(conversations=80, seed=3))
    assert not a.equals(demo_turns(conversations=80, seed=4))
    checked = turns_from_frame(a)
    assert checked.problems == [] and checked.conversations == 80
    agents = set(a.loc[a["role"] == "agent", "speaker_id"])
    assert agents <= set(AGENTS) and len(agents) >= 6
    scores = coach(a).conversations.groupby("employee_id")["score"].mean()
    assert scores.max() - scores.min() > 0.1  # some agents to praise, some to coach
