"""Offers and contact policy files: the examples load; every mistake is reported at its
file:line:column with the field and what to do."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from moments.errors import InputError
from moments.outreach.offers import (
    check_file,
    load_offers,
    load_offers_text,
    load_policy,
    load_policy_text,
)
from moments.outreach.plan import example
from tests.fuzz import FUZZ, clean, dump_yaml, edited_text, mutated, yamlish


def test_the_packaged_examples_load() -> None:
    book = load_offers(example("retail-offers.yaml"))
    policy = load_policy(example("retail-policy.yaml"))
    assert [o.id for o in book.offers][:2] == ["dressing-room-recovery", "checkout-apology"]
    assert all(isinstance(line, int) for line in book.lines)
    book.check_channels(policy)
    assert policy.quiet_hours is not None and policy.quiet_hours.covers(dt.time(23, 0))
    assert not policy.quiet_hours.covers(dt.time(10, 0))
    assert policy.channels["phone"].capacity_per_day == 25
    assert policy.channels["email"].send_at == dt.time(10, 0)


BAD_OFFERS = """\
offers:
  - id: win-back
    name: We miss you
    channel: sms
    eligible: days_since_last_visit >= 'a lot'
    value: -5
    prior: 0.1
  - id: win-back
    name: Again
    channel: email
    eligible: km_since_last_tyres >= 40000
    value: 10
    prior: 1.5
    colour: red
"""


def test_every_problem_in_an_offers_file_is_located(tmp_path: Path) -> None:
    f = tmp_path / "offers.yaml"
    f.write_text(BAD_OFFERS, encoding="utf-8")
    kind, problems = check_file(f)
    assert kind == "offers"
    found = {(p.line, p.field): p for p in problems}
    assert set(found) >= {
        (4, "offers[0].channel"),
        (5, "offers[0].eligible"),
        (6, "offers[0].value"),
        (8, "offers[1].id"),
        (11, "offers[1].eligible"),
        (13, "offers[1].prior"),
        (14, "offers[1].colour"),
    }
    assert "duplicate offer id 'win-back' (first at line 2)" in found[(8, "offers[1].id")].what
    assert "unknown feature 'km_since_last_tyres'" in found[(11, "offers[1].eligible")].what
    assert "days_since_last_visit" in found[(11, "offers[1].eligible")].fix
    assert found[(5, "offers[0].eligible")].column == 40  # at the quote before a lot
    assert all(p.file == str(f) and p.fix for p in problems)


@pytest.mark.parametrize(
    ("text", "line", "field", "what"),
    [
        ("channels:\n  email: {send_at: '25:00'}\n", 2, "channels.email.send_at", "not a time"),
        ("time_zone: Mars/Base\nchannels:\n  app: {send_at: '10:00'}\n", 1, "time_zone",
         "unknown time zone"),
        ("caps: {week: -1}\nchannels:\n  app: {send_at: '10:00'}\n", 1, "caps.week", "greater"),
        ("channels:\n  fax: {send_at: '10:00'}\n", 2, "channels.fax", "fax"),
        ("channels: {}\n", 1, "channels", "at least 1"),
    ],
)  # fmt: skip
def test_policy_problems_are_located(
    tmp_path: Path, text: str, line: int, field: str, what: str
) -> None:
    f = tmp_path / "policy.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_policy(f)
    p = e.value.problems[0]
    assert (p.line, p.field) == (line, field)
    assert what in p.what and p.fix


def test_a_send_time_inside_quiet_hours_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "policy.yaml"
    f.write_text(
        "quiet_hours: {from: '21:00', until: '08:00'}\nchannels:\n  email: {send_at: '07:30'}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as e:
        load_policy(f)
    assert "inside the quiet hours" in str(e.value) and "move send_at" in str(e.value)


def test_an_offer_on_a_channel_the_policy_lacks_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "policy.yaml"
    f.write_text("channels:\n  email: {send_at: '10:00'}\n", encoding="utf-8")
    book = load_offers(example("retail-offers.yaml"))
    with pytest.raises(InputError) as e:
        book.check_channels(load_policy(f))
    p = e.value.problems[0]
    assert p.field == "offers[0].channel" and p.line == 4 and "phone" in p.what


# --- fuzzing: any input is an offers file / policy or an InputError, never a crash ---------

OFFERS_TEXT = example("retail-offers.yaml").read_text(encoding="utf-8")
POLICY_TEXT = example("retail-policy.yaml").read_text(encoding="utf-8")


@FUZZ
@given(mutated(yaml.safe_load(OFFERS_TEXT)))
def test_mutated_offers_load_or_are_refused_cleanly(data: Any) -> None:
    clean(lambda: load_offers_text(dump_yaml(data), "o.yaml"), "o.yaml")


@FUZZ
@given(mutated(yaml.safe_load(POLICY_TEXT)))
def test_a_mutated_policy_loads_or_is_refused_cleanly(data: Any) -> None:
    clean(lambda: load_policy_text(dump_yaml(data), "p.yaml"), "p.yaml")


@FUZZ
@given(
    st.one_of(
        yamlish().map(dump_yaml),
        edited_text(OFFERS_TEXT),
        edited_text(POLICY_TEXT),
        st.text(max_size=200),
    )
)
def test_any_text_is_offers_or_a_policy_or_is_refused_cleanly(text: str) -> None:
    clean(lambda: load_offers_text(text, "o.yaml"), "o.yaml")
    clean(lambda: load_policy_text(text, "p.yaml"), "p.yaml")
