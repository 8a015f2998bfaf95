"""The LiteRT shim runs the real model with either runtime, and says clearly when none is installed."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from desktop_app.core import litert_runtime
from desktop_app.paths import models_dir

MODEL = models_dir() / "tumornet.tflite"
REPO = Path(__file__).resolve().parents[2]


def _invoke(interpreter) -> list[tuple[int, ...]]:
    detail = interpreter.get_input_details()[0]
    interpreter.set_tensor(detail["index"], np.zeros(detail["shape"], np.float32) + 50)
    interpreter.invoke()
    return sorted(tuple(d["shape"]) for d in interpreter.get_output_details())


def test_ai_edge_litert_is_preferred():
    cls, module = litert_runtime.interpreter_class()
    assert module == "ai_edge_litert.interpreter"
    assert len(_invoke(litert_runtime.make_interpreter(MODEL.read_bytes(), 2))) == 4  # probabilities, feature map, embedding, guard features


def test_falls_back_to_tflite_runtime(monkeypatch):
    """With ai_edge_litert unavailable, the tflite_runtime module's Interpreter is used."""
    try:
        import tflite_runtime.interpreter as real_module  # noqa: F401 - the genuine fallback, when installed
    except ImportError:
        # Same C++ interpreter, published under the older package name.
        from ai_edge_litert import interpreter as litert

        fallback = types.ModuleType("tflite_runtime.interpreter")
        fallback.Interpreter = litert.Interpreter
        monkeypatch.setitem(sys.modules, "tflite_runtime", types.ModuleType("tflite_runtime"))
        monkeypatch.setitem(sys.modules, "tflite_runtime.interpreter", fallback)
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)  # makes `import ai_edge_litert...` fail
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    _, module = litert_runtime.interpreter_class()
    assert module == "tflite_runtime.interpreter"
    assert len(_invoke(litert_runtime.make_interpreter(MODEL.read_bytes(), 1))) == 4


def test_no_runtime_gives_a_clear_message(monkeypatch):
    for name in ("ai_edge_litert", "ai_edge_litert.interpreter", "tflite_runtime", "tflite_runtime.interpreter"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(litert_runtime.RuntimeMissingError) as err:
        litert_runtime.interpreter_class()
    assert "runtime is not installed" in err.value.user_message


def _python(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def test_loading_the_model_prints_nothing_on_stderr():
    done = _python("from desktop_app.core.inference import InferenceEngine; InferenceEngine.load()")
    assert done.returncode == 0, done.stderr
    assert "XNNPACK" not in done.stderr
    assert done.stderr == ""


def test_the_runtimes_other_stderr_lines_still_get_through():
    done = _python(
        "import os\n"
        "from desktop_app.core.litert_runtime import without_runtime_noise\n"
        "value = without_runtime_noise(lambda: os.write(2, b'INFO: Created TensorFlow Lite XNNPACK "
        "delegate for CPU.\\nERROR: tensor arena too small\\n') and 7)\n"
        "print(value)\n")
    assert done.returncode == 0
    assert done.stdout.strip() == "7"
    assert done.stderr == "ERROR: tensor arena too small\n"
