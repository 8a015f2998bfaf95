"""This computer's DICOM node and the PACS it may ask: AE titles, ports, the callers it accepts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DEFAULT_AE_TITLE = "TUMORPREDICT"
DEFAULT_PORT = 11112
_AE_TITLE = re.compile(r"[\x20-\x5b\x5d-\x7e]{1,16}")  # DICOM AE: 16 printable chars, no backslash


class DicomConfigError(ValueError):
    """A DICOM setting in words an IT admin can act on."""


def check_ae_title(value: str) -> str:
    title = (value or "").strip()
    if not _AE_TITLE.fullmatch(title):
        raise DicomConfigError(f"“{value}” is not a DICOM AE title: use 1 to 16 letters, digits or _ (no backslash).")
    return title


def check_port(value: str | int) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = 0
    if not 1 <= port <= 65535:
        raise DicomConfigError(f"“{value}” is not a TCP port: use a number from 1 to 65535 (DICOM usually 104 or 11112).")
    return port


@dataclass(frozen=True)
class Caller:
    """One allowed sender: its AE title and, optionally, the host it must connect from."""

    ae_title: str
    host: str | None = None

    def matches(self, ae_title: str, address: str) -> bool:
        return ae_title.strip() == self.ae_title and (self.host is None or self.host == address)

    def __str__(self) -> str:
        return self.ae_title if self.host is None else f"{self.ae_title}@{self.host}"


def parse_allow_list(text: str | None) -> list[Caller]:
    """`ORTHANC@10.0.0.5,SCANNER1` → callers; an empty text allows every caller."""
    callers = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        ae_title, _, host = part.partition("@")
        callers.append(Caller(check_ae_title(ae_title), host.strip() or None))
    return callers


@dataclass(frozen=True)
class ListenerConfig:
    ae_title: str = DEFAULT_AE_TITLE
    port: int = DEFAULT_PORT
    allow: tuple[Caller, ...] = ()
    bind_address: str = ""  # every interface; tests use 127.0.0.1
    settle_seconds: float = 3.0  # a series is complete after this long without a new instance

    def allows(self, ae_title: str, address: str) -> bool:
        return not self.allow or any(c.matches(ae_title, address) for c in self.allow)


@dataclass(frozen=True)
class PacsConfig:
    """A PACS to query: DIMSE (host, port, AE title) and/or a DICOMweb base URL."""

    ae_title: str = ""
    host: str = ""
    port: int = 0
    dicomweb_url: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def has_dimse(self) -> bool:
        return bool(self.ae_title and self.host and self.port)


def listener_from_settings(settings) -> ListenerConfig:
    block = settings.get("dicom", {}) or {}
    return ListenerConfig(
        ae_title=block.get("ae_title") or DEFAULT_AE_TITLE,
        port=int(block.get("port") or DEFAULT_PORT),
        allow=tuple(parse_allow_list(block.get("allow"))),
    )


def pacs_from_settings(settings) -> PacsConfig | None:
    block = (settings.get("dicom", {}) or {}).get("pacs") or {}
    pacs = PacsConfig(ae_title=block.get("ae_title", ""), host=block.get("host", ""),
                      port=int(block.get("port") or 0), dicomweb_url=block.get("dicomweb_url", ""))
    return pacs if pacs.has_dimse or pacs.dicomweb_url else None


def parse_pacs(text: str) -> dict:
    """`ORTHANC@pacs.clinic:4242` or `https://pacs.clinic/dicom-web` → the stored pacs block."""
    text = (text or "").strip()
    if text.startswith(("http://", "https://")):
        return {"dicomweb_url": text.rstrip("/")}
    match = re.fullmatch(r"([^@]+)@([^:@\s]+):(\d+)", text)
    if not match:
        raise DicomConfigError(f"“{text}” is not a PACS address: use AE_TITLE@host:port "
                               "(e.g. ORTHANC@pacs.clinic:4242) or a DICOMweb URL (https://…/dicom-web).")
    return {"ae_title": check_ae_title(match[1]), "host": match[2], "port": check_port(match[3])}


def pacs_text(block: dict | None) -> str | None:
    """The stored pacs block as the text `config set pacs` takes."""
    if not block:
        return None
    if block.get("dicomweb_url"):
        return block["dicomweb_url"]
    return f"{block.get('ae_title')}@{block.get('host')}:{block.get('port')}"
