"""Our model next to the seed's EfficientNetB0 baseline, measured in one run with LiteRT on 2 threads.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_inference.py [--data ../shared/data/brain-mri/Training]

Prints: invoke median, end-to-end 512×512 JPEG, heatmap time, peak memory of a predict process,
FLOPs and share of the CPU's peak, and folder throughput of `tumorpredict predict --json` versus
a plain decode-resize-invoke loop with the baseline. The baseline (random weights run exactly as
fast as trained ones) is built once into benchmarks/.cache/ when TensorFlow is installed;
otherwise only our column is printed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "benchmarks" / ".cache"
BASELINE = CACHE / "efficientnetb0_baseline.tflite"
sys.path.insert(0, str(REPO))

from desktop_app.core.litert_runtime import make_interpreter  # noqa: E402
from desktop_app.paths import models_dir, resources_dir  # noqa: E402


def build_baseline() -> Path | None:
    """EfficientNetB0(weights=None) 224×224×3 + 4-way softmax, as TFLite (cached)."""
    if BASELINE.exists():
        return BASELINE
    try:
        import keras
        import tensorflow as tf
    except ImportError:
        return None
    CACHE.mkdir(parents=True, exist_ok=True)
    base = keras.applications.EfficientNetB0(weights=None, include_top=False, input_shape=(224, 224, 3), pooling="avg")
    model = keras.Sequential([base, keras.layers.Dense(4, activation="softmax")])
    with tempfile.TemporaryDirectory() as saved:
        model.export(saved, format="tf_saved_model", verbose=False,
                     input_signature=[tf.TensorSpec([1, 224, 224, 3], tf.float32)])
        converter = tf.lite.TFLiteConverter.from_saved_model(saved)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        BASELINE.write_bytes(converter.convert())
    return BASELINE


def invoke_median(model: Path, repeats: int = 200) -> float:
    interpreter = make_interpreter(model.read_bytes(), 2)
    detail = interpreter.get_input_details()[0]
    interpreter.set_tensor(detail["index"], np.random.default_rng(0).uniform(0, 255, detail["shape"]).astype(np.float32))
    for _ in range(10):
        interpreter.invoke()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        interpreter.invoke()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def macs(model: Path) -> int:
    """Multiply-accumulates of the conv, depthwise and dense layers, read from the .tflite graph."""
    interpreter = make_interpreter(model.read_bytes(), 1)
    shapes = {t["index"]: tuple(t["shape"]) for t in interpreter.get_tensor_details()}
    total = 0
    for op in interpreter._get_ops_details():  # noqa: SLF001 - the only graph view LiteRT offers
        name, ins, outs = op["op_name"], op["inputs"], op["outputs"]
        if name == "CONV_2D":
            o, w = shapes[outs[0]], shapes[ins[1]]  # w: (out_c, kh, kw, in_c)
            total += int(np.prod(o[1:])) * int(w[1]) * int(w[2]) * int(w[3])
        elif name == "DEPTHWISE_CONV_2D":
            o, w = shapes[outs[0]], shapes[ins[1]]  # w: (1, kh, kw, c)
            total += int(np.prod(o[1:])) * int(w[1]) * int(w[2])
        elif name == "FULLY_CONNECTED":
            w = shapes[ins[1]]
            total += int(np.prod(w, dtype=np.int64))
    return total


def peak_gflops() -> float:
    """2 cores × clock × 32 float32 FLOPs/cycle (two AVX2 FMA units): the CPU's theoretical peak."""
    mhz = 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("cpu MHz"):
                mhz = max(mhz, float(line.split(":")[1]))
    except OSError:
        pass
    return 2 * (mhz or 2500.0) / 1000 * 32


def jpeg_512(sample: Path) -> bytes:
    image = Image.open(sample).convert("L").resize((512, 512), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def end_to_end_ours(data: bytes, repeats: int = 200) -> tuple[float, float, float, dict[str, float]]:
    """(median ms without heatmap, median heatmap ms, median ms with it, median ms per stage) for predict_bytes."""
    from desktop_app.core.inference import InferenceEngine

    engine = InferenceEngine.load(num_threads=2)
    for _ in range(10):
        engine.predict_bytes(data, name="scan.jpg")
    totals, heatmaps, walls, stages = [], [], [], []
    for _ in range(repeats):
        started = time.perf_counter()
        t = engine.predict_bytes(data, name="scan.jpg").timings_ms
        walls.append((time.perf_counter() - started) * 1000)
        heatmaps.append(t["heatmap"])
        totals.append(walls[-1] - t["heatmap"])
        stages.append(t)
    per_stage = {k: statistics.median(s[k] for s in stages) for k in ("decode", "preprocess", "invoke", "head_and_check")}
    return statistics.median(totals), statistics.median(heatmaps), statistics.median(walls), per_stage


def mri_check_ms(data: bytes, repeats: int = 500) -> float:
    """Median cost of the brain-MRI check (embedding distance, image features, the kind model)."""
    from desktop_app.core.imaging import load_scan
    from desktop_app.core.imaging.preprocess import prepare
    from desktop_app.core.inference import InferenceEngine

    engine = InferenceEngine.load(num_threads=1)
    scan = load_scan(data, "scan.jpg")
    model_input, _ = prepare(scan.gray, engine.input_size, scan.histogram)
    outputs = engine.run_model(model_input)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        engine.brain_mri_check(scan, model_input, outputs)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


BASELINE_LOOP = r"""
import sys, time, io, resource
from pathlib import Path
import numpy as np
from PIL import Image
sys.path.insert(0, sys.argv[3])
from desktop_app.core.litert_runtime import make_interpreter
interp = make_interpreter(Path(sys.argv[1]).read_bytes(), 2)
inp, out = interp.get_input_details()[0]["index"], interp.get_output_details()[0]["index"]
files = sorted(Path(sys.argv[2]).iterdir())
for f in files:
    x = np.asarray(Image.open(f).convert("RGB").resize((224, 224), Image.Resampling.BILINEAR), np.float32)[None]
    interp.set_tensor(inp, x); interp.invoke(); interp.get_tensor(out)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def folder_of(n: int, data_dir: Path | None, into: Path) -> Path:
    """n 224-px JPEGs: from the data set when given, else the shipped samples (repeated)."""
    into.mkdir()
    pool = sorted(data_dir.rglob("*.jpg")) if data_dir and data_dir.is_dir() else sorted((resources_dir() / "samples").glob("*.jpg"))
    rng = np.random.default_rng(0)
    chosen = rng.choice(len(pool), n, replace=len(pool) < n)
    for k, index in enumerate(chosen):
        shutil.copy(pool[index], into / f"{k:04d}.jpg")
    return into


def timed_process(args: list[str]) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = time.perf_counter()
    result = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, result.stdout


def peak_rss_of_predict(folder: Path) -> float:
    """Peak memory (MB) of a `tumorpredict predict --json` process over the folder."""
    code = ("import resource, sys, runpy; sys.argv=['tumorpredict','predict','--json',sys.argv[1]];"
            "from desktop_app.cli import main; import contextlib, io;"
            "f=io.StringIO();\nwith contextlib.redirect_stdout(f): main(sys.argv[1:])\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    _, out = timed_process([sys.executable, "-c", code, str(folder)])
    return int(out.strip().splitlines()[-1]) / 1024


def row(name: str, ours: str, baseline: str, target: str = "") -> None:
    print(f"{name:<44} {ours:>16} {baseline:>16}   {target}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "brain-mri" / "Training")
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    ours_model = models_dir() / "tumornet.tflite"
    baseline = build_baseline()
    sample = resources_dir() / "samples" / "glioma_1.jpg"
    print(f"CPU cores: {os.cpu_count()}, LiteRT threads: 2, load average now: {os.getloadavg()[0]:.1f}")
    row("figure", "TumorNet", "EfficientNetB0" if baseline else "(no TensorFlow)", "target")
    ours_invoke = invoke_median(ours_model)
    base_invoke = invoke_median(baseline) if baseline else None
    row("invoke, median (ms)", f"{ours_invoke:.2f}", f"{base_invoke:.2f}" if baseline else "-",
        f"<= 0.25x baseline ({ours_invoke / base_invoke:.2f}x)" if baseline else "")
    ours_macs, base_macs = macs(ours_model), (macs(baseline) if baseline else None)
    row("MACs per image (millions)", f"{ours_macs / 1e6:.1f}", f"{base_macs / 1e6:.1f}" if baseline else "-")
    peak = peak_gflops()
    ours_rate = 2 * ours_macs / ours_invoke / 1e6
    # An int8-weight model does most of its arithmetic in integers, several per float operation.
    int8 = json.loads((models_dir() / "model.json").read_text()).get("weights") == "int8"
    row(f"achieved GFLOP/s (float32 CPU peak ~{peak:.0f})",
        f"{ours_rate:.1f} (int8 arithmetic)" if int8 else f"{ours_rate:.1f} ({100 * ours_rate / peak:.1f}%)",
        f"{2 * base_macs / base_invoke / 1e6:.1f} ({100 * 2 * base_macs / base_invoke / 1e6 / peak:.1f}%)" if baseline else "-")
    data = jpeg_512(sample)
    e2e, heatmap, with_heatmap, stages = end_to_end_ours(data)
    base_e2e = None
    if baseline:
        interpreter = make_interpreter(baseline.read_bytes(), 2)
        index = interpreter.get_input_details()[0]["index"]
        times = []
        for _ in range(60):
            started = time.perf_counter()
            x = np.asarray(Image.open(io.BytesIO(data)).convert("RGB").resize((224, 224)), np.float32)[None]
            interpreter.set_tensor(index, x)
            interpreter.invoke()
            times.append((time.perf_counter() - started) * 1000)
        base_e2e = statistics.median(times)
    row("512x512 JPEG end to end, median (ms)", f"{e2e:.2f}", f"{base_e2e:.2f}" if base_e2e else "-",
        "<= 6 ms (ours: decode+preprocess+invoke+MRI check)")
    for stage, ms in stages.items():
        row(f"  of which {stage.replace('_', ' ')} (ms)", f"{ms:.2f}", "-")
    row("  brain-MRI check alone (ms)", f"{mri_check_ms(data):.3f}", "-", "<= 0.5 ms")
    row("heatmap (ms)", f"{heatmap:.2f}", "-", "<= 30 ms")
    row("predict incl. heatmap (ms)", f"{with_heatmap:.2f}", "-")
    with tempfile.TemporaryDirectory() as tmp:
        folder = folder_of(args.files, args.data, Path(tmp) / "scans")
        ours_s, _ = timed_process([sys.executable, "-m", "desktop_app", "predict", "--json", str(folder)])
        base_s, base_out = (timed_process([sys.executable, "-c", BASELINE_LOOP, str(baseline), str(folder), str(REPO)])
                            if baseline else (None, ""))
        row(f"folder of {args.files}: images/s (process start incl.)", f"{args.files / ours_s:.0f}",
            f"{args.files / base_s:.0f}" if base_s else "-", f">= 3x baseline ({base_s / ours_s:.2f}x)" if base_s else "")
        rss = peak_rss_of_predict(folder)
        base_rss = int(base_out.strip().splitlines()[-1]) / 1024 if base_out else None
        row("peak memory of the process (MB)", f"{rss:.0f}", f"{base_rss:.0f}" if base_rss else "-", "<= 150 MB")
    row("model file (MB)", f"{ours_model.stat().st_size / 1e6:.2f}", f"{baseline.stat().st_size / 1e6:.2f}" if baseline else "-", "<= 5 MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
