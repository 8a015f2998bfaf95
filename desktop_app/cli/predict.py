"""The `tumorpredict predict` command: analyse image files or folders offline, one line per file."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from desktop_app.cli.context import CliContext, CliError, service_command

# Files picked up when walking a folder (files named on the command line are always tried).
SCAN_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".dcm", ".dicom"}
WORKERS = 2  # one interpreter per worker thread, one core each


def register(commands) -> None:
    parser = commands.add_parser("predict", help="analyse brain-MRI images (files or folders) offline")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders (walked recursively)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per file")
    parser.add_argument("--save", action="store_true", help="also save each scan as a report for the signed-in patient")
    parser.add_argument("--frame", type=int, help="multi-frame DICOM: analyse this frame (1-based) instead of the middle one")
    parser.add_argument("--model-dir", help="use the model files in this folder instead of the installed ones")
    parser.set_defaults(func=_run)


def iter_files(paths: list[str]) -> Iterator[Path]:
    """Files in argument order; folders are walked in sorted order for repeatable output."""
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SCAN_SUFFIXES:
                    yield child
        else:
            yield path


def _analyse(engine, path: Path, frame: int | None, with_heatmap: bool):
    from desktop_app.core.imaging import ImageError

    try:
        data = path.read_bytes()
    except OSError as exc:
        return path, None, None, f"The file could not be opened ({exc.strerror or 'read error'})."
    try:
        return path, data, engine.predict_bytes(data, name=path.name, frame=frame, with_heatmap=with_heatmap), None
    except ImageError as exc:
        return path, None, None, exc.user_message


def json_result(path: Path, prediction) -> dict:
    """The JSON line for one analysed file. For a picture that is not a brain MRI the tumour
    probabilities are left out: a script must not be able to read a tumour result off a photo."""
    result = prediction.to_json(str(path))
    if not prediction.is_brain_mri:
        result.pop("probabilities", None)
        result["message"] = prediction.message
    return result


def _line(path: Path, prediction, error: str | None, as_json: bool, not_saved: str | None = None) -> str:
    """One file's line; `not_saved` says why its result (shown all the same) was not saved."""
    from desktop_app.core.wording import finding_text, model_percent

    if as_json:
        answer = {"file": str(path), "error": error} if error else json_result(path, prediction)
        return json.dumps({**answer, "saved": False, "save_error": not_saved} if not_saved else answer)
    if error:
        return f"{path}: {error}"
    if not prediction.is_brain_mri:
        return f"{path}: {prediction.message} (no result given)"
    if prediction.abstained:
        line = (f"{path}: {prediction.message} (the model's best guess: {finding_text(prediction.label)}, "
                f"{model_percent(prediction.confidence, 1)})  [model {prediction.model_version}]")
    else:
        line = (f"{path}: {finding_text(prediction.label)} ({model_percent(prediction.confidence, 1)})  "
                f"[model {prediction.model_version}]")
    return f"{line}  NOT SAVED: {not_saved}" if not_saved else line


@service_command
def _run(ctx: CliContext, args) -> int:
    from desktop_app.core.inference import InferenceEngine, ModelError

    frame = None if args.frame is None else args.frame - 1
    saver = _Saver(ctx) if args.save else None
    try:
        # Each worker thread gets its own single-threaded interpreter: two cores, no lock contention.
        engine = InferenceEngine.load(args.model_dir, num_threads=1)
    except ModelError as exc:
        raise CliError(exc.user_message) from exc
    failures = 0
    with ThreadPoolExecutor(WORKERS) as pool:
        # Only a saved report keeps the heatmap.
        results = pool.map(lambda p: _analyse(engine, p, frame, saver is not None), iter_files(args.paths))
        for path, data, prediction, error in results:
            not_saved = saver.save(path, data, prediction) if saver and prediction is not None else None
            failures += error is not None or not_saved is not None
            print(_line(path, prediction, error, args.json, not_saved),
                  file=sys.stdout if args.json or not (error or not_saved) else sys.stderr)
    return 1 if failures else 0


class _Saver:
    """Stores predictions as reports for the signed-in patient (the model is not run twice).

    After a full disk it stops trying: each later file is still analysed, and its line says it
    was not saved and where saving stopped.
    """

    def __init__(self, ctx: CliContext):
        app = ctx.services()
        self.reports = app.reports
        self.username = app.accounts.require_user("patient").username
        self.stopped_at: Path | None = None  # the file the disk filled up on

    def save(self, path: Path, data: bytes, prediction) -> str | None:
        """None when saved (or nothing to save), else why not, in words that name the file."""
        from desktop_app.core.errors import ServiceError
        from desktop_app.core.reports import ScanNotSaved
        from local_store import StoreError

        if not prediction.is_brain_mri:
            return None  # nothing to save; the line already says so
        if self.stopped_at is not None:
            return f"the disk is full, so saving stopped at “{self.stopped_at}”. Free some space and save it again."
        try:
            self.reports.create(self.username, data, path.name, prediction)
        except ScanNotSaved as exc:
            if exc.disk_full:
                self.stopped_at = path
            return exc.user_message
        except (ServiceError, StoreError) as exc:
            return f"“{path.name}” was not saved. {exc.user_message}"
        return None
