"""A new sandbox server starts the worker threads its routes hand store calls to during its lifespan
start-up, so its first request does not wait for them (anyio starts them on first use: ~15 ms)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from ovctl.sandbox.app import create_app
from ovctl.sandbox.serve import QuietDisconnects
from ovctl.sandbox.store import Store


def _workers() -> int:
    return sum(type(t).__name__ == "WorkerThread" for t in threading.enumerate())


def test_the_worker_threads_start_with_the_server_not_with_its_first_request(tmp_path: Path) -> None:
    app = QuietDisconnects(create_app(Store(tmp_path / "sandbox.db"), "k"))

    async def lifespan() -> tuple[int, int, Any]:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        before = _workers()
        await inbox.put({"type": "lifespan.startup"})
        task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
                                       inbox.get, outbox.put))
        started = await outbox.get()
        during = _workers()  # no request has been made
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task
        return before, during, started

    before, during, started = asyncio.run(lifespan())
    assert started["type"] == "lifespan.startup.complete"
    assert during > before
