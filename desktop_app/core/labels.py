"""The model's labels, one table for the app, the server and training, read once from models/model.json.

A label has a key ("pituitary"), the model's display name ("Pituitary tumor", the `label` a
prediction and the wire carry) and the app's text for it ("No tumor": the app writes findings in
sentence case, the model names them in title case). Every spelling a device or a server ever
stored ("No Tumor", "no_tumor", "pituitary tumour") maps back to its key.

Pure Python (no Qt, no numpy): the server and the training scripts import it too.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cache

from desktop_app.paths import models_dir

log = logging.getLogger(__name__)

NO_TUMOUR = "notumor"  # the one label that is not a tumour
NOT_ASSESSABLE = "not_assessable"  # the doctor-only verdict on a rejected report, never the model's
NOT_ASSESSABLE_TEXT = "Not assessable — needs another scan"


@dataclass(frozen=True)
class Label:
    key: str
    display: str  # the model's name for it, as model.json and the wire spell it

    @property
    def text(self) -> str:
        """The app's words for it: sentence case, acronyms kept ("No Tumor" → "No tumor")."""
        first, *rest = self.display.split(" ")
        return " ".join([first, *(word if word.isupper() and len(word) > 1 else word.lower() for word in rest)])

    @property
    def is_tumour(self) -> bool:
        return self.key != NO_TUMOUR


@cache
def labels() -> tuple[Label, ...]:
    """The shipped model's labels in its output order; empty (logged) when model.json is unreadable.

    An install without its model cannot predict (the engine says so in plain words), but its saved
    reports must still open: they then show the label text they stored."""
    path = models_dir() / "model.json"
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["labels"]
        return tuple(Label(str(entry["key"]), str(entry["display"])) for entry in entries)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.error("the model's labels could not be read from %s: %s", path, exc)
        return ()


def keys() -> tuple[str, ...]:
    return tuple(label.key for label in labels())


def model_json_entries() -> list[dict[str, str]]:
    """The labels as model.json lists them (what a training export writes back)."""
    return [{"key": label.key, "display": label.display} for label in labels()]


def display_names() -> dict[str, str]:
    """Key → the model's display name ("notumor" → "No Tumor"), in the model's order."""
    return {label.key: label.display for label in labels()}


def label_texts() -> dict[str, str]:
    """Key → the app's text for each of the model's labels ("notumor" → "No tumor").

    In the order the app lists findings (bars, filters, the reject dialog): the tumours in the
    model's order, then no tumour."""
    ordered = sorted(labels(), key=lambda label: not label.is_tumour)  # stable: keeps the model's order
    return {label.key: label.text for label in ordered}


def finding_texts() -> dict[str, str]:
    """What a doctor may confirm: the model's labels plus "not assessable", key → the app's text."""
    return {**label_texts(), NOT_ASSESSABLE: NOT_ASSESSABLE_TEXT}


def _normalised(text: str) -> str:
    # British spelling and snake case are the two ways stored labels drift from the model's names.
    return text.strip().lower().replace("tumour", "tumor").replace("_", " ")


@cache
def _spellings() -> dict[str, str]:
    """Every known spelling, normalised, → its key."""
    table = {_normalised(NOT_ASSESSABLE): NOT_ASSESSABLE, _normalised(NOT_ASSESSABLE_TEXT): NOT_ASSESSABLE}
    for label in labels():
        for spelling in (label.key, label.display, label.text):
            table[_normalised(spelling)] = label.key
    return table


def key_of(value: str | None) -> str | None:
    """The key for a key or any stored spelling ("Pituitary tumor", "no_tumor" → …); None if unknown."""
    if not value:
        return None
    return _spellings().get(_normalised(value))


def wire_label_key(label: str | None) -> str | None:
    """The `label_key` a report gets when its sender gave none: the key of a known label, otherwise
    the label itself in snake case (what servers have always stored for labels they do not know)."""
    if not label:
        return None
    return key_of(label) or label.strip().lower().replace(" ", "_")


def is_tumour(value: str | None) -> bool:
    """Whether a key or spelling names one of the model's tumour labels (not "no tumour", not unknown)."""
    key = key_of(value)
    return key is not None and key != NOT_ASSESSABLE and key != NO_TUMOUR
