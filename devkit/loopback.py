"""A WSGI app on a real HTTP server on 127.0.0.1, in a thread: the live servers of the tests and benchmarks."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server

SHUTDOWN_TIMEOUT_S = 10  # a request still being answered gets this long before the test goes on


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LoopbackServer:
    """Serves `app` on 127.0.0.1 (a free port unless one is given); `stop()` then `start()` brings
    it back at the same address, as a clinic's server that went away and came back."""

    def __init__(self, app, port: int = 0, request_handler=None) -> None:
        self.app, self.port, self.request_handler = app, port, request_handler
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True,
                                   request_handler=self.request_handler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="loopback-server", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """The one shutdown policy: stop serving, free the port, give the thread a bounded wait."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=SHUTDOWN_TIMEOUT_S)
        self._server = self._thread = None


@contextmanager
def serve_wsgi(app, *, request_handler=None) -> Iterator[str]:
    """Runs `app` on a free loopback port for the block; yields its base URL."""
    server = LoopbackServer(app, request_handler=request_handler)
    try:
        yield server.start()
    finally:
        server.stop()
