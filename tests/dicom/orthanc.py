"""A real Orthanc PACS for the tests: started on free ports with a temporary configuration and store."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import requests

ORTHANC_BINARIES = ("Orthanc", "/usr/sbin/Orthanc")
DICOMWEB_PLUGINS = ("/usr/share/orthanc/plugins/libOrthancDicomWeb.so",)
AE_TITLE = "ORTHANC"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def orthanc_binary() -> str | None:
    for name in ORTHANC_BINARIES:
        found = shutil.which(name) or (name if Path(name).is_file() else None)
        if found:
            return found
    return None


class Orthanc:
    """`start()` → REST on `http_url`, DICOM on `dicom_port`, DICOMweb on `dicomweb_url` (when the plugin is there)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.http_port, self.dicom_port = free_port(), free_port()
        self.http_url = f"http://127.0.0.1:{self.http_port}"
        self.dicomweb_url = f"{self.http_url}/dicom-web"
        self.plugin = next((p for p in DICOMWEB_PLUGINS if Path(p).is_file()), None)
        self._process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> None:
        binary = orthanc_binary()
        if binary is None:
            raise FileNotFoundError("Orthanc is not installed (Debian/Ubuntu: apt-get install orthanc orthanc-dicomweb)")
        storage = self.folder / "db"
        storage.mkdir(parents=True, exist_ok=True)
        config = {
            "Name": "TestPACS", "StorageDirectory": str(storage), "IndexDirectory": str(storage),
            "HttpPort": self.http_port, "DicomPort": self.dicom_port, "DicomAet": AE_TITLE,
            "RemoteAccessAllowed": False, "AuthenticationEnabled": False, "DicomCheckCalledAet": False,
            "DicomAlwaysAllowFind": True, "DicomAlwaysAllowGet": True, "DicomAlwaysAllowMove": True,
            "Plugins": [self.plugin] if self.plugin else [],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "Host": f"127.0.0.1:{self.http_port}"},
            "StableAge": 1,
        }
        config_path = self.folder / "orthanc.json"
        config_path.write_text(json.dumps(config))
        log = open(self.folder / "orthanc.log", "wb")  # noqa: SIM115 (closed with the process)
        self._process = subprocess.Popen([binary, str(config_path)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"Orthanc exited at start: {(self.folder / 'orthanc.log').read_text()[-800:]}")
            try:
                if requests.get(f"{self.http_url}/system", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("Orthanc did not answer within 30 s")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None

    # ---- REST helpers ----------------------------------------------------------------
    def upload(self, encoded: bytes) -> str:
        answer = requests.post(f"{self.http_url}/instances", data=encoded, timeout=30)
        answer.raise_for_status()
        return answer.json()["ID"]

    def add_modality(self, name: str, ae_title: str, port: int, host: str = "127.0.0.1") -> None:
        answer = requests.put(f"{self.http_url}/modalities/{name}",
                              json={"AET": ae_title, "Host": host, "Port": port}, timeout=10)
        answer.raise_for_status()

    def series_id(self, series_uid: str) -> str:
        answer = requests.post(f"{self.http_url}/tools/lookup", data=series_uid, timeout=10)
        answer.raise_for_status()
        return next(item["ID"] for item in answer.json() if item["Type"] == "Series")

    def send_to(self, modality: str, resource_ids: list[str]) -> dict:
        """Orthanc pushes the resources to a modality by C-STORE (as a PACS routing rule would)."""
        answer = requests.post(f"{self.http_url}/modalities/{modality}/store", json={"Resources": resource_ids,
                               "Synchronous": True}, timeout=120)
        answer.raise_for_status()
        return answer.json()
