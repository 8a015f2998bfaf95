"""Reset codes go out by SMTP when it is configured (a real SMTP conversation with a loopback mail sink)."""

from __future__ import annotations

import re
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from server.app import create_app, state_of
from tests.server.conftest import Api, server_config


class _SmtpSink(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to accept one message and keep it."""

    def handle(self) -> None:
        self.wfile.write(b"220 sink ready\r\n")
        while line := self.rfile.readline():
            command = line.strip().upper()
            if command.startswith((b"EHLO", b"HELO")):
                self.wfile.write(b"250 sink\r\n")
            elif command == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data)
                self.server.messages.append(b"".join(lines).decode())
                self.wfile.write(b"250 kept\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@contextmanager
def smtp_sink() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpSink)
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_reset_code_is_mailed_and_works(tmp_path, database_url, caplog):
    with smtp_sink() as sink:
        config = server_config(tmp_path, database_url, smtp_host="127.0.0.1", smtp_port=sink.server_address[1],
                               smtp_starttls=False, smtp_from="clinic@clinic.test")
        app = create_app(config)
        api = Api(app.test_client())
        api.register("mia")
        assert api.post("/request_otp", {"username": "mia"}).json == {"status": "ok"}
        deadline = time.monotonic() + 20
        while not sink.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sink.messages, "no mail arrived"
        mail = sink.messages[0]
        assert "To: mia@clinic.test" in mail and "From: clinic@clinic.test" in mail
        code = re.search(r"\b(\d{6})\b", mail).group(1)
        assert not any(code in r.getMessage() for r in caplog.records)  # mailed, not logged
        assert api.post("/verify_otp", {"username": "mia", "otp": code, "new_password": "mailed reset 1"}).json == {
            "status": "ok"}
        api.login("mia", "mailed reset 1")
        state_of(app).storage.close()
