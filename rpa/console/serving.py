"""How ``rpa serve`` runs: the console's listener, and with ``--relay-port`` a second one
serving only the OTP relay pages (``create_app(settings, relay_only=True)``), both in one
event loop; and the heartbeat that tells batches a console serves this data dir.

The heartbeat is ``DATA_DIR/console.json`` (host, pid, the console's and the relay's URL,
the time), rewritten every few seconds while the console runs and removed when it stops.
A batch with ``RPA_CHALLENGES=console`` reads it: with no fresh heartbeat it says in its log
that no console serves the data dir (the job still waits for an answer); a relay link
points at its ``relay_url`` when ``RPA_RELAY_URL`` is not set.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rpa.journal.challenge_store import HEARTBEAT_EVERY_S, clear_heartbeat, write_heartbeat

GRACE_S = 3  # seconds open requests get when the console stops


@dataclass(frozen=True)
class Listener:
    app: Any
    host: str
    port: int


class Heartbeat:
    """Rewrites the data dir's heartbeat every ``HEARTBEAT_EVERY_S`` in a daemon thread."""

    def __init__(self, data_dir: Path, url: str, relay_url: str | None = None) -> None:
        self.data_dir = data_dir
        self.url = url
        self.relay_url = relay_url
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="rpa-heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        write_heartbeat(self.data_dir, self.url, self.relay_url)
        self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_EVERY_S):
            with contextlib.suppress(OSError):  # a full disk: try again at the next beat
                write_heartbeat(self.data_dir, self.url, self.relay_url)

    def stop(self) -> None:
        self._stop.set()
        clear_heartbeat(self.data_dir)


def run(
    listeners: list[Listener], *, ssl_certfile: str | None = None, ssl_keyfile: str | None = None
) -> None:
    """Serve every listener until one stops (Ctrl-C stops them all)."""
    import uvicorn

    class Server(uvicorn.Server):
        """Tells the app it is stopping (``app.state.closing``) before waiting for open
        requests, so live views end their streams at once."""

        async def shutdown(self, sockets: Any = None) -> None:
            closing = getattr(getattr(self.config.app, "state", None), "closing", None)
            if closing is not None:
                closing.set()
            await super().shutdown(sockets)

    servers = [
        Server(
            uvicorn.Config(
                listener.app,
                host=listener.host,
                port=listener.port,
                log_level="warning",
                ssl_certfile=ssl_certfile,
                ssl_keyfile=ssl_keyfile,
                # open requests get this long to end when the console stops
                timeout_graceful_shutdown=GRACE_S,
            )
        )
        for listener in listeners
    ]

    async def serve_all() -> None:
        tasks = [asyncio.create_task(server.serve()) for server in servers]
        _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*pending, return_exceptions=True)

    asyncio.run(serve_all())
