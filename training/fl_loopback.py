"""The project's real server on 127.0.0.1 for federated simulations: clinic accounts, uploads, aggregation, downloads."""

from __future__ import annotations

import secrets
import tempfile
import threading
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from desktop_app.core.api_client import ApiClient
from desktop_app.core.federated.head import HeadWeights
from desktop_app.core.federated.npz_format import checksum, dump_npz, load_npz

ADMIN = "sim_admin"


class LoopbackFederation:
    """A fresh server (its own data dir) seeded with `initial` head weights; one doctor account per clinic."""

    def __init__(
        self,
        initial: HeadWeights,
        *,
        model_id: str,
        clinics: int,
        strategy: str = "fedavg",
        **fl_settings: Any,
    ):
        self.initial = initial
        self.model_id = model_id
        self.clinic_count = clinics
        self.strategy = strategy
        self.fl_settings = fl_settings
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._server = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self.admin: ApiClient | None = None
        self.clinics: list[ApiClient] = []

    def __enter__(self) -> LoopbackFederation:
        from server.app import create_app, state_of
        from server.config import ServerConfig

        self._tmp = tempfile.TemporaryDirectory(prefix="fl-sim-")
        root = Path(self._tmp.name)
        initial_path = root / "initial_head.npz"
        initial_path.write_bytes(dump_npz(self.initial.arrays(), {"version": self.initial.version}))
        code = secrets.token_hex(8)
        config = ServerConfig(
            data_dir=root / "server",
            enrollment_code=code,
            fl_strategy=self.strategy,
            fl_initial_weights=str(initial_path),
            **{"fl_max_staleness": 1000, **self.fl_settings},
        )
        app = create_app(config)
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fl-sim-server", daemon=True
        )
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.admin = self._doctor(ADMIN, code)
        state_of(app).storage.update_user(ADMIN, is_admin=True)  # as `tumorpredict serve promote` does
        self.clinics = [self._doctor(f"sim_clinic{i + 1}", code) for i in range(self.clinic_count)]
        return self

    def _doctor(self, username: str, code: str) -> ApiClient:
        client = ApiClient(self.url, read_timeout=60.0)
        password = secrets.token_urlsafe(12)
        client.register(
            username, f"{username}@example.org", password, role="doctor", enrollment_code=code
        )
        client.login(username, password)
        return client

    def __exit__(self, *exc_info) -> None:
        for client in [self.admin, *self.clinics]:
            if client is not None:
                client.close()
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._tmp is not None:
            self._tmp.cleanup()

    def upload(
        self, clinic: int, head: HeadWeights, *, num_examples: int, base_version: str
    ) -> dict[str, Any]:
        client = self.clinics[clinic]
        meta = {
            "num_examples": num_examples,
            "base_version": base_version,
            "model_id": self.model_id,
            "client_id": f"sim-clinic-{clinic + 1}",
        }
        return client.upload_weights_npz(
            f"sim_clinic{clinic + 1}",
            dump_npz(head.arrays(), meta),
            num_examples=num_examples,
            base_version=base_version,
        )

    def aggregate(self) -> dict[str, Any]:
        assert self.admin is not None
        return self.admin.trigger_aggregation()

    def meta(self) -> dict[str, Any]:
        assert self.admin is not None
        return self.admin.get_global_meta()

    def download(self) -> HeadWeights:
        """The current global weights, checked against the published checksum."""
        assert self.admin is not None
        meta = self.admin.get_global_meta()
        data = self.admin.download_global_weights()
        if meta.get("checksum") and checksum(data) != meta["checksum"]:
            raise RuntimeError("downloaded global weights do not match the published checksum")
        arrays, _ = load_npz(data)
        return HeadWeights.from_arrays(arrays, str(meta.get("version")))
