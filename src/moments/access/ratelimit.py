"""Rate limits for what the open internet can reach: log-in attempts and survey answers."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from moments.errors import MomentsError


class RateLimited(MomentsError):
    """Too many attempts; ``retry_after`` seconds until the next is allowed (HTTP 429)."""

    def __init__(self, what: str, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many {what}; try again in {retry_after} s")


class RateLimiter:
    """At most ``limit`` hits per ``window`` seconds for each key (a sliding window), in this
    process. Keeps at most ``max_keys`` keys, dropping the least recently used."""

    def __init__(
        self,
        what: str,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.what, self.limit, self.window, self.clock = what, limit, window, clock
        self.max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, *keys: str) -> None:
        """Count one attempt under each key; raise ``RateLimited`` if any is over its limit
        (a refused attempt is not counted)."""
        now = self.clock()
        with self._lock:
            queues = []
            for key in keys:
                q = self._hits.get(key)
                if q is None:
                    q = self._hits[key] = deque()
                self._hits.move_to_end(key)
                while q and q[0] <= now - self.window:
                    q.popleft()
                if len(q) >= self.limit:
                    raise RateLimited(self.what, max(1, math.ceil(q[0] + self.window - now)))
                queues.append(q)
            for q in queues:
                q.append(now)
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)

    def reset(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._hits.pop(key, None)
