"""A response cache for the dashboard's GET requests, valid until the next write.

Pages and API answers depend only on the store, and the store changes only through the app's
Workspace (a load, a survey answer, a re-judgement), which bumps ``Workspace.generation``. So a
cached answer stays right until the generation moves; then the whole cache is dropped.

A plain ASGI middleware: a hit is answered without entering the app at all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]

CACHED_PREFIXES = ("/api/", "/moments/", "/owners", "/map")
MAX_ENTRIES = 512


class ResponseCache:
    def __init__(
        self,
        app: Any,
        generation: Callable[[], int],
        identity: Callable[[Scope], Awaitable[str | None]] | None = None,
    ) -> None:
        self.app = app
        self.generation = generation
        # who is asking, checked before any answer is given from the cache (a revoked token or
        # a disabled user must not be served what they saw before); None: not from the cache
        self.identity = identity
        self.entries: OrderedDict[bytes, tuple[list[tuple[bytes, bytes]], bytes]] = OrderedDict()
        self.lock = threading.Lock()
        self.seen = -1

    @staticmethod
    def _cacheable(scope: Scope) -> bool:
        path: str = scope.get("path", "")
        return (
            scope["type"] == "http"
            and scope.get("method") == "GET"
            and (path == "/" or path.startswith(CACHED_PREFIXES))
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        who = "" if self.identity is None else await self.identity(scope)
        if who is None:
            await self.app(scope, receive, send)
            return
        # answers differ per caller (each sees their scope): the key holds who is asking
        key = scope["path"].encode() + b"?" + scope.get("query_string", b"") + b"#" + who.encode()
        gen = self.generation()
        with self.lock:
            if gen != self.seen:
                self.entries.clear()
                self.seen = gen
            hit = self.entries.get(key)
            if hit is not None:
                self.entries.move_to_end(key)
        if hit is not None:
            cached_headers, body = hit
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [*cached_headers, (b"x-cache", b"hit")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
                message = {**message, "headers": [*headers, (b"x-cache", b"miss")]}
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        if status == 200 and not any(k.lower() == b"set-cookie" for k, _ in headers):
            with self.lock:
                if self.generation() == gen:  # nothing was written while it was computed
                    self.entries[key] = (headers, b"".join(chunks))
                    while len(self.entries) > MAX_ENTRIES:
                        self.entries.popitem(last=False)
