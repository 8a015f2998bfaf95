"""The LiteRT interpreter class: `ai_edge_litert` when installed, else the older `tflite_runtime`."""

from __future__ import annotations

import importlib
import logging

log = logging.getLogger(__name__)

# Tried in order; each provides a TFLite-compatible `Interpreter` in the named module.
RUNTIME_MODULES = ("ai_edge_litert.interpreter", "tflite_runtime.interpreter")


class RuntimeMissingError(RuntimeError):
    """No LiteRT runtime is installed; `user_message` says what to do."""

    def __init__(self) -> None:
        self.user_message = (
            "The on-device model runtime is not installed, so scans cannot be analysed. "
            "Please reinstall TumorPredict or ask IT to install 'ai-edge-litert'."
        )
        super().__init__(self.user_message)


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


def make_interpreter(model_content: bytes, num_threads: int = 2):
    """A ready-to-invoke interpreter over the model bytes (tensors allocated)."""
    cls, _ = interpreter_class()
    interpreter = cls(model_content=model_content, num_threads=num_threads)
    interpreter.allocate_tensors()
    return interpreter
