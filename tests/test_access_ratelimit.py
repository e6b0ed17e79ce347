"""Rate limits: a sliding window per key, refusals not counted, least recently used dropped."""

from __future__ import annotations

import pytest

from moments.access.ratelimit import RateLimited, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_holds_per_key_and_the_window_slides() -> None:
    clock = Clock()
    limit = RateLimiter("log-in attempts", limit=3, window=60, clock=clock)
    for _ in range(3):
        limit.hit("ip:1")
        clock.now += 1
    with pytest.raises(RateLimited, match="too many log-in attempts; try again in 57 s") as e:
        limit.hit("ip:1")
    assert e.value.retry_after == 57
    limit.hit("ip:2")  # another key is not held back
    clock.now += 57  # the first attempt leaves the window
    limit.hit("ip:1")
    with pytest.raises(RateLimited):
        limit.hit("ip:1")


def test_a_refused_attempt_counts_for_no_key_and_reset_forgets() -> None:
    clock = Clock()
    limit = RateLimiter("tries", limit=2, window=10, clock=clock)
    limit.hit("user:ann")
    limit.hit("user:ann", "ip:1")
    with pytest.raises(RateLimited):
        limit.hit("ip:1", "user:ann")  # over for the user: ip:1 is not counted
    limit.hit("ip:1")  # ip:1 had one hit, so one more fits
    limit.reset("user:ann")
    limit.hit("user:ann")


def test_keys_are_bounded() -> None:
    limit = RateLimiter("tries", limit=1, window=10, clock=Clock(), max_keys=3)
    for k in "abcd":
        limit.hit(k)
    limit.hit("a")  # "a" was dropped as least recently used
    with pytest.raises(RateLimited):
        limit.hit("d")
