"""Images on /predict: base64 decoding, one bounded decode per upload, and the inference engine loaded once per app."""

from __future__ import annotations

import base64
import binascii
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from server.errors import ApiError

log = logging.getLogger(__name__)

_DATA_URL = re.compile(r"^data:[\w/+.-]*;base64,", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def decode_image_b64(value: Any, max_bytes: int) -> bytes:
    """The image bytes from `image_b64` (plain or data-URL base64); a clear 4xx when unusable."""
    if value is None or value == "":
        raise ApiError(400, "image_required")
    if not isinstance(value, str):
        raise ApiError(400, "invalid_field", field="image_b64")
    if len(value) > (max_bytes * 4) // 3 + 1024:
        raise ApiError(413, "image_too_large")
    cleaned = _WHITESPACE.sub("", _DATA_URL.sub("", value, count=1))
    try:
        data = base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "invalid_base64") from None
    if not data:
        raise ApiError(400, "image_required")
    if len(data) > max_bytes:
        raise ApiError(413, "image_too_large")
    return data


class DecodeGate:
    """At most `slots` scans decoded (and predicted) at once per worker: 16 request threads must not
    multiply a decode's memory by 16. A request that waits too long gets 503 with Retry-After."""

    def __init__(self, slots: int, wait_s: float = 30.0):
        self._slots = threading.BoundedSemaphore(max(1, slots))
        self._wait_s = wait_s

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self._wait_s):
            raise ApiError(503, "server_busy", headers={"Retry-After": "5"},
                           message="The server is analysing other scans; please try again in a few seconds.")
        try:
            yield
        finally:
            self._slots.release()


def decode_scan(data: bytes, name: str | None, max_pixels: int) -> Any:
    """The scan decoded once, the way the model will use it; 400 with plain words if it cannot be used."""
    from desktop_app.core.imaging import ImageError, load_scan

    try:
        return load_scan(data, name, max_pixels=max_pixels)
    except ImageError as exc:
        raise ApiError(400, "invalid_image", reason=exc.reason, message=exc.user_message) from None
    except Exception:  # decoders raise many types on hostile bytes; none of them is our fault
        log.info("image decoder refused an upload", exc_info=True)
        raise ApiError(400, "invalid_image", reason="not_an_image",
                       message="This file is not an image the app can read.") from None


class EngineHolder:
    """Loads `InferenceEngine` on first use (never at import), once per app, and shares it across threads."""

    def __init__(self, model_dir: str = ""):
        self.model_dir = model_dir
        self._engine: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        if self._engine is not None:
            return self._engine
        with self._lock:
            if self._engine is None:
                try:
                    from desktop_app.core.inference import InferenceEngine

                    self._engine = (
                        InferenceEngine.load(self.model_dir) if self.model_dir else InferenceEngine.load()
                    )
                except Exception:
                    log.exception("the inference engine could not be loaded")
                    raise ApiError(503, "model_unavailable") from None
        return self._engine

    def predict(self, scan: Any, head: tuple[str, dict[str, Any]] | None = None) -> Any:
        """The engine's prediction for a decoded scan, with `head` = (version, {"W", "b"}) when the federation has one."""
        engine = self.get()
        self._use_head(engine, head)
        return engine.predict_scan(scan, with_heatmap=False)  # the wire carries no heatmap

    def _use_head(self, engine: Any, head: tuple[str, dict[str, Any]] | None) -> None:
        if head is None:
            return
        version, arrays = head
        if engine.current_head()[2] == version:
            return
        try:
            engine.set_head(arrays["W"], arrays["b"], version)
            log.info("server predictions now use the global weights %s", version)
        except (KeyError, ValueError):
            log.warning("global weights %s do not fit the shipped model; predicting with its own head", version)
