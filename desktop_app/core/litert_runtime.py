"""The LiteRT interpreter class: `ai_edge_litert` when installed, else the older `tflite_runtime`."""

from __future__ import annotations

import importlib
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from typing import TypeVar

from desktop_app.core.errors import UserFacingError

log = logging.getLogger(__name__)

# The runtime's C++ code writes this to stderr (not through Python logging) on every start: it is
# noise to everyone running a command, so it is filtered out of what reaches stderr.
RUNTIME_NOISE = ("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",)

T = TypeVar("T")
_stderr_lock = threading.Lock()

# Tried in order; each provides a TFLite-compatible `Interpreter` in the named module.
RUNTIME_MODULES = ("ai_edge_litert.interpreter", "tflite_runtime.interpreter")


class RuntimeMissingError(UserFacingError, RuntimeError):
    """No LiteRT runtime is installed; `user_message` says what to do."""

    def __init__(self) -> None:
        super().__init__(
            "The on-device model runtime is not installed, so scans cannot be analysed. "
            "Please reinstall TumorPredict or ask IT to install 'ai-edge-litert'."
        )


def interpreter_class(modules: tuple[str, ...] = RUNTIME_MODULES) -> tuple[type, str]:
    """(Interpreter class, name of the module it came from); RuntimeMissingError when none imports."""
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        log.debug("LiteRT runtime: %s", name)
        return module.Interpreter, name
    raise RuntimeMissingError()


def without_runtime_noise(build: Callable[[], T]) -> T:
    """Runs `build` with file descriptor 2 captured, then passes on every stderr line except the
    runtime's known INFO lines (a warning or error from the runtime still reaches the user)."""
    try:
        stderr_fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (a windowed app, a test capture)
        return build()
    with _stderr_lock, tempfile.TemporaryFile() as captured:
        sys.stderr.flush()
        saved = os.dup(stderr_fd)
        os.dup2(captured.fileno(), stderr_fd)
        try:
            return build()
        finally:
            sys.stderr.flush()
            os.dup2(saved, stderr_fd)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().decode("utf-8", "replace").splitlines(keepends=True)
                    if line.strip() not in RUNTIME_NOISE]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def make_interpreter(model_content: bytes, num_threads: int = 2):
    """A ready-to-invoke interpreter over the model bytes (tensors allocated)."""
    cls, _ = interpreter_class()

    def build():
        interpreter = cls(model_content=model_content, num_threads=num_threads)
        interpreter.allocate_tensors()
        return interpreter

    return without_runtime_noise(build)
