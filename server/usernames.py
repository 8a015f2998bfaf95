"""When two user names count as the same: Unicode NFKC, case folded, and letters that look Latin read as Latin."""

from __future__ import annotations

import unicodedata

# Cyrillic and Greek letters (lower case, after case folding) drawn like a Latin letter in common fonts.
_LOOK_ALIKES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ӏ": "l",
    "ԛ": "q", "ԝ": "w", "ɡ": "g",
    "α": "a", "β": "b", "ε": "e", "ζ": "z", "η": "h", "ι": "i", "κ": "k", "μ": "m", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ϲ": "c", "ϳ": "j",
})


def name_key(username: str) -> str:
    """The form two names are compared in: `ALICE`, `ａｌｉｃｅ` and `аlice` (Cyrillic а) all give `alice`."""
    folded = unicodedata.normalize("NFKC", username).casefold()
    return unicodedata.normalize("NFKC", folded.translate(_LOOK_ALIKES))
