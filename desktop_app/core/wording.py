"""How model outputs read, the same in the app, the PDF and the command line.

A model's probability is never certainty: rounding 99.7 % to "100 %" (or 0.2 % to "0 %") would
tell a patient something the model cannot know, so the ends are shown as ">99 %" and "<1 %".
"""

from __future__ import annotations

from desktop_app.core.labels import finding_texts, key_of


def model_percent(probability: float | None, decimals: int = 0) -> str:
    """'87%', '>99%', '<1%' (or with `decimals`: '87.3%', '>99.9%', '<0.1%'); '—' when unknown."""
    if probability is None:
        return "—"
    step = 10.0 ** -decimals  # the smallest step shown, in percent
    percent = float(probability) * 100
    if round(percent, decimals) >= 100:
        return f">{100 - step:.{decimals}f}%"
    if round(percent, decimals) <= 0:
        return f"<{step:.{decimals}f}%"
    return f"{percent:.{decimals}f}%"


def finding_text(value: str | None, fallback: str = "—") -> str:
    """The one display text of a finding, from its key or any stored spelling (see core/labels.py)."""
    key = key_of(value)
    if key is not None:
        return finding_texts()[key]
    return value or fallback
