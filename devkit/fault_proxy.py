"""A real HTTP proxy on loopback that injects network faults between the app and a server.

Faults, per request path: `500` (answered by the proxy, nothing reaches the server),
`reset` (the connection is reset before anything reaches the server),
`hang` (the request is held without an answer, so the client's read timeout fires),
`reset_after_commit` (the request reaches the server and commits, then the client's
connection is reset before it can read the answer), `cut_answer` (the server commits, and the client gets
the head and half of the body before a reset: what a server crash mid-answer looks like),
`half_upload` (half of the request body reaches the server, then both sides are reset),
`delay` (forwarded after 0-3 s) and `down` (every connection is reset at once, as when the
server's host is gone).

`randomize(seed, rate)` gives a share of all requests a fault drawn from a seeded generator,
for soak runs that are the same at the same seed.
"""

from __future__ import annotations

import logging
import random
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

log = logging.getLogger(__name__)

FAULTS = ("500", "reset", "hang", "reset_after_commit", "cut_answer", "half_upload", "delay")
MAX_DELAY_S = 3.0


@dataclass
class _Rule:
    path: str | None  # None: any path
    fault: str
    remaining: int


class FaultProxy:
    """Forwards HTTP/1.1 requests one connection at a time to `upstream`; see the module doc."""

    def __init__(self, upstream_host: str, upstream_port: int, hang_seconds: float = 30.0):
        self.upstream = (upstream_host, upstream_port)
        self.hang_seconds = hang_seconds
        self.down = False
        self.events: list[tuple[str, str]] = []  # (path, what happened) in order
        self._rules: list[_Rule] = []
        self._random: random.Random | None = None
        self._random_rate = 0.0
        self._random_faults: tuple[str, ...] = ()
        self.max_delay_s = MAX_DELAY_S
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name="fault-proxy", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def inject(self, fault: str, path: str | None = None, count: int = 1) -> None:
        """The next `count` requests to `path` (any path when None; a prefix when it ends in `*`) meet `fault`."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}")
        with self._lock:
            self._rules.append(_Rule(path, fault, count))

    def randomize(self, seed: int, rate: float, faults: tuple[str, ...] = FAULTS) -> None:
        """From now on a share `rate` of requests (those no rule took) meets one of `faults`."""
        unknown = set(faults) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}")
        with self._lock:
            self._random, self._random_rate, self._random_faults = random.Random(seed), rate, tuple(faults)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._random = None
        self.down = False

    def faults_seen(self, fault: str) -> int:
        return sum(1 for _path, what in self.events if what == fault)

    def close(self) -> None:
        self._stopping.set()
        self._listener.close()

    # ---- internals ------------------------------------------------------------------------

    def _take_fault(self, path: str) -> str | None:
        with self._lock:
            for rule in self._rules:
                if rule.remaining > 0 and _matches(rule.path, path):
                    rule.remaining -= 1
                    return rule.fault
            if self._random is not None and self._random.random() < self._random_rate:
                return self._random.choice(self._random_faults)
        return None

    def _delay(self) -> float:
        with self._lock:
            return (self._random or random).uniform(0.0, self.max_delay_s)

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            if self.down:
                self.events.append(("*", "down"))
                _reset(client)
                return
            while True:
                request = _read_request(client)
                if request is None:
                    client.close()
                    return
                path, raw = request
                fault = self._take_fault(path)
                if fault == "500":
                    self.events.append((path, "500"))
                    body = b'{"error": "internal_error"}'
                    client.sendall(
                        b"HTTP/1.1 500 INTERNAL SERVER ERROR\r\nContent-Type: application/json\r\n"
                        + f"Content-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
                    continue
                if fault == "reset":
                    self.events.append((path, "reset"))
                    _reset(client)
                    return
                if fault == "hang":
                    self.events.append((path, "hang"))
                    self._stopping.wait(self.hang_seconds)
                    _reset(client)
                    return
                if fault == "half_upload":
                    self.events.append((path, "half_upload"))
                    self._forward_half(raw)
                    _reset(client)
                    return
                if fault == "delay":
                    self._stopping.wait(self._delay())
                answer = self._forward(raw)
                if fault == "cut_answer":
                    self.events.append((path, "cut_answer"))
                    head, _, body = answer.partition(b"\r\n\r\n")
                    client.sendall(head + b"\r\n\r\n" + body[: len(body) // 2])
                    time.sleep(0.05)  # let the client start reading the body before the reset
                    _reset(client)
                    return
                if fault == "reset_after_commit":
                    self.events.append((path, "reset_after_commit"))
                    _reset(client)  # the server has committed; the client never sees the answer
                    return
                self.events.append((path, fault or "ok"))
                client.sendall(answer)
                return  # the forwarded answer says "Connection: close"
        except OSError as exc:
            log.debug("proxy connection ended: %s", exc)
            client.close()

    def _forward(self, raw: bytes) -> bytes:
        with socket.create_connection(self.upstream, timeout=60) as upstream:
            upstream.sendall(raw)
            chunks = []
            while chunk := upstream.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)

    def _forward_half(self, raw: bytes) -> None:
        """Sends the head and half the body upstream, then resets: an upload cut off mid-way."""
        head, _, body = raw.partition(b"\r\n\r\n")
        with socket.create_connection(self.upstream, timeout=60) as upstream:
            upstream.sendall(head + b"\r\n\r\n" + body[: len(body) // 2])
            _reset(upstream)


def _matches(pattern: str | None, path: str) -> bool:
    if pattern is None or pattern == path:
        return True
    return pattern.endswith("*") and path.startswith(pattern[:-1])


def _read_request(sock: socket.socket) -> tuple[str, bytes] | None:
    """One whole request (head + Content-Length body), rewritten to close after its answer."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = 0
    kept = [lines[0]]
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value.strip())
        if lowered not in (b"connection", b"keep-alive"):
            kept.append(line)
    kept.append(b"Connection: close")
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        rest += chunk
    path = lines[0].split(b" ")[1].decode("latin-1").split("?")[0]
    return path, b"\r\n".join(kept) + b"\r\n\r\n" + rest[:length]


def _reset(sock: socket.socket) -> None:
    """Close with an RST rather than a FIN, the way a crashed host or middlebox does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@contextmanager
def fault_proxy(upstream_url: str, hang_seconds: float = 30.0) -> Iterator[FaultProxy]:
    host_port = upstream_url.split("://", 1)[1].rstrip("/")
    host, port = host_port.rsplit(":", 1)
    proxy = FaultProxy(host, int(port), hang_seconds=hang_seconds)
    try:
        yield proxy
    finally:
        proxy.close()
