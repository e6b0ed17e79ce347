"""The request matcher, measured on the labelled first messages shipped with the playbooks."""

from __future__ import annotations

from pathlib import Path

import pytest

from moments.errors import InputError
from moments.frontline.matcher import RequestMatcher, evaluate, read_labelled
from moments.frontline.playbook import collect, journey_index, shipped_dir
from moments.journey import load_journey
from tests.conftest import BANK, RETAIL, write

PLAYBOOKS = collect([shipped_dir()], [load_journey(BANK), load_journey(RETAIL)])
LABELLED = read_labelled(shipped_dir() / "first-messages.csv")
# measured: top-1 80.0 %, top-3 98.3 % on 60 messages (moments playbook evaluate)
TOP1, TOP3 = 0.75, 0.95


def test_the_labelled_set_is_large_enough_and_unseen() -> None:
    assert len(LABELLED) >= 40
    keys = {f"{p.id}:{r.id}" for p in PLAYBOOKS for r in p.requests}
    assert {x.expected for x in LABELLED} == keys  # every request is tested
    says = {s.lower() for p in PLAYBOOKS for r in p.requests for s in (r.name, *r.says)}
    assert not [x.message for x in LABELLED if x.message.lower() in says]  # none learnt from


def test_top1_accuracy_on_the_labelled_messages() -> None:
    result = evaluate(PLAYBOOKS, LABELLED)
    assert result.n == len(LABELLED)
    assert result.top1 >= TOP1, result.misses
    assert result.top3 >= TOP3
    assert len(result.misses) == round((1 - result.top1) * result.n)


def test_suggestions_are_ranked_scored_and_limited_to_a_journey() -> None:
    bank = RequestMatcher([p for p in PLAYBOOKS if p.journey == "bank-lost-wallet"])
    found = bank.suggest("someone stole my wallet, please block the cards", top=3)
    assert found[0].key == "lost-card:block-my-card"
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    assert all(0 < s.score <= 1 for s in found) and len(found) == 3
    assert {s.playbook_id for s in found} <= {
        "lost-card",
        "dispute-a-payment",
        "replacement-abroad",
    }
    assert bank.suggest("   ") == [] and RequestMatcher([]).suggest("anything") == []
    # the same message, the same answer
    assert bank.suggest("where is my new card") == bank.suggest("where is my new card")


def test_a_labelled_file_without_its_columns_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing"):
        read_labelled(write(tmp_path / "l.csv", "text,label\nhello,x\n"))
    with pytest.raises(InputError, match="no such file"):
        read_labelled(tmp_path / "none.csv")
    assert journey_index([]) == {}
