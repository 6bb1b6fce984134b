"""Run the portal (and the simulated emBridge) with uvicorn in background threads.

handle = run_in_thread(create_app(db, test_mode=True, embridge_url=...), "127.0.0.1", 0,
                       embridge_port=26769)
handle.url  # "http://127.0.0.1:PORT"
handle.stop()
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerHandle:
    url: str
    host: str
    port: int
    embridge_url: str | None = None
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _embridge: Any = None
    _stopped: bool = field(default=False)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._embridge is not None:
            self._embridge.stop()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)


def serve_in_thread(
    app: Any, host: str, port: int, name: str
) -> tuple[uvicorn.Server, threading.Thread]:
    """Start uvicorn for ``app`` in a daemon thread and wait until it listens."""
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start on {host}:{port}")
        time.sleep(0.02)
    return server, thread


def run_in_thread(
    app: Any, host: str = "127.0.0.1", port: int = 0, *, embridge_port: int | None = None
) -> ServerHandle:
    """Serve ``app`` (from ``create_app``) on ``host:port`` (0: a free port); with
    ``embridge_port``, also the simulated emBridge on the same database."""
    port = port or free_port(host)
    handle = ServerHandle(url=f"http://{host}:{port}", host=host, port=port)
    if embridge_port is not None:
        from mock_portal import embridge

        handle._embridge = embridge.run_embridge_in_thread(app.state.db_path, host, embridge_port)
        handle.embridge_url = f"http://{host}:{embridge_port}"
    try:
        handle._server, handle._thread = serve_in_thread(app, host, port, "mock-portal")
    except Exception:
        handle.stop()
        raise
    return handle
