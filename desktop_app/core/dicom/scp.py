"""The C-STORE SCP: answers C-ECHO, accepts MR images from allowed callers, keeps each one atomically."""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Callable

from desktop_app.core.dicom.inbox import Inbox, InstanceInfo, InstanceRefused, describe
from desktop_app.core.dicom.node import ListenerConfig

log = logging.getLogger(__name__)

STATUS_SUCCESS = 0x0000
STATUS_OUT_OF_RESOURCES = 0xA700  # e.g. the disk is full: the sender keeps the instance and may retry
STATUS_SOP_CLASS_MISMATCH = 0xA900
STATUS_CANNOT_UNDERSTAND = 0xC210
MR_MODALITY = "MR"
SeriesKey = tuple[str, str]  # (study UID, series UID)


def decodable_transfer_syntaxes() -> list[str]:
    """Transfer syntaxes whose pixel data this install of pydicom can decode (others are refused at association)."""
    from pydicom.pixels.decoders.base import get_decoder
    from pydicom.uid import AllTransferSyntaxes, ExplicitVRLittleEndian, ImplicitVRLittleEndian

    syntaxes = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
    for uid in AllTransferSyntaxes:
        if uid in syntaxes:
            continue
        try:
            if not uid.is_compressed or get_decoder(uid).is_available:
                syntaxes.append(uid)
        except (NotImplementedError, ValueError):
            continue  # no decoder known for this syntax
    return syntaxes


def mr_storage_classes() -> list[str]:
    from pynetdicom.sop_class import EnhancedMRImageStorage, MRImageStorage

    return [MRImageStorage, EnhancedMRImageStorage]


def _wait_until_sent(assoc, timeout: float = 5.0) -> None:
    """Lets the rejection leave before the connection is closed (a busy machine may not have sent it yet).

    After sending A-ASSOCIATE-RJ the acceptor's state machine waits for the peer to close (Sta13).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and assoc.dul.state_machine.current_state != "Sta13":
        time.sleep(0.005)


class StorageServer:
    """Start with `start()`, stop with `stop()`. Callbacks run on pynetdicom's association threads.

    `on_instance(key)` after every kept instance; `on_released(keys)` when an association that sent
    those series ends normally (a dropped one leaves its series to the settle timer).
    """

    def __init__(self, config: ListenerConfig, inbox: Inbox, *,
                 on_instance: Callable[[SeriesKey], None] = lambda key: None,
                 on_released: Callable[[set[SeriesKey]], None] = lambda keys: None,
                 max_associations: int = 10):
        from pynetdicom import AE
        from pynetdicom.sop_class import Verification

        self.config = config
        self.inbox = inbox
        self._on_instance = on_instance
        self._on_released = on_released
        self._seen: dict[int, set[SeriesKey]] = {}
        self._lock = threading.Lock()
        self._server = None
        ae = AE(ae_title=config.ae_title)
        ae.maximum_associations = max_associations
        ae.add_supported_context(Verification)
        syntaxes = decodable_transfer_syntaxes()
        for sop_class in mr_storage_classes():
            ae.add_supported_context(sop_class, syntaxes)
        self._ae = ae

    @property
    def port(self) -> int:
        """The bound port (the configured one, or the one the OS chose for port 0)."""
        return self._server.server_address[1] if self._server else self.config.port

    def start(self) -> None:
        """Listens in the background; OSError (e.g. the port is taken) in plain words."""
        from pynetdicom import evt

        handlers = [
            (evt.EVT_REQUESTED, self._check_caller),
            (evt.EVT_C_ECHO, lambda event: STATUS_SUCCESS),
            (evt.EVT_C_STORE, self._store),
            (evt.EVT_RELEASED, self._released),
            (evt.EVT_ABORTED, self._aborted),
        ]
        try:
            self._server = self._ae.start_server((self.config.bind_address, self.config.port), block=False,
                                                 evt_handlers=handlers)
        except OSError as exc:
            raise OSError(exc.errno, f"port {self.config.port} cannot be opened for DICOM "
                                     f"({exc.strerror or exc}); is another DICOM program using it?") from exc
        if not self.config.allow:
            log.warning("DICOM receiver accepts every caller: set an allow list (AE@host) for a clinic network")
        log.info("DICOM receiver %s listening on port %s", self.config.ae_title, self.port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    # ---- handlers (association threads) --------------------------------------------------
    def _check_caller(self, event) -> None:
        calling = str(event.assoc.requestor.primitive.calling_ae_title).strip()
        address = event.assoc.requestor.address
        if self.config.allows(calling, address):
            return
        log.warning("DICOM association refused: caller %s at %s is not on the allow list", calling, address)
        # Rejected-permanent, by the service user, "calling AE title not recognised".
        event.assoc.acse.send_reject(0x01, 0x01, 0x03)
        event.assoc.is_rejected = True
        _wait_until_sent(event.assoc)
        event.assoc.kill()

    def _store(self, event) -> int:
        caller = str(event.assoc.requestor.ae_title).strip()
        try:
            data = event.encoded_dataset()
            info = describe(data)
            if info.modality != MR_MODALITY:
                raise InstanceRefused(f"modality {info.modality or 'unknown'} is not MR", STATUS_SOP_CLASS_MISMATCH)
            self.inbox.keep(data, info)
        except InstanceRefused as exc:
            log.warning("DICOM instance from %s refused: %s (status 0x%04X)", caller, exc, exc.status)
            return exc.status
        except OSError as exc:
            full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
            log.error("DICOM instance from %s not kept: %s (status 0x%04X)", caller,
                      "the disk is full" if full else (exc.strerror or exc), STATUS_OUT_OF_RESOURCES)
            return STATUS_OUT_OF_RESOURCES
        self._remember(event.assoc, info)
        self._on_instance((info.study_uid, info.series_uid))
        return STATUS_SUCCESS

    def _remember(self, assoc, info: InstanceInfo) -> None:
        with self._lock:
            self._seen.setdefault(id(assoc), set()).add((info.study_uid, info.series_uid))

    def _released(self, event) -> None:
        with self._lock:
            keys = self._seen.pop(id(event.assoc), set())
        if keys:
            self._on_released(keys)

    def _aborted(self, event) -> None:
        with self._lock:
            keys = self._seen.pop(id(event.assoc), set())
        if keys:
            log.warning("DICOM association from %s dropped after %d series; what was acknowledged is kept",
                        str(event.assoc.requestor.ae_title).strip(), len(keys))
