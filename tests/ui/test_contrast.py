"""Every text colour of the stylesheet (and the few painted in code) reaches WCAG AA: 4.5:1 against
the backgrounds it is drawn on. Computed from the real files, so a new colour is checked too."""

from __future__ import annotations

import re

import pytest

from desktop_app.ui.theme import stylesheet

AA = 4.5
# What a rule with a text colour but no background of its own is drawn over: the page, cards,
# the sign-in backdrop, table/list rows, hovered rows and the selection.
SURFACES = ("#F4F6F9", "#FFFFFF", "#EEF2F7", "#F8FAFC", "#F1F5F9")
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_HEX = r"#[0-9A-Fa-f]{6}"


def luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def rules() -> list[tuple[str, dict[str, str]]]:
    text = re.sub(r"/\*.*?\*/", "", stylesheet(), flags=re.S)
    found = []
    for selectors, body in _RULE.findall(text):
        props = dict(re.findall(r"([\w-]+)\s*:\s*([^;]+);?", body))
        for selector in selectors.split(","):
            found.append((selector.strip(), {k: v.strip() for k, v in props.items()}))
    return found


def text_pairs() -> list[tuple[str, str, str]]:
    """(selector, text colour, background) for every text colour in the stylesheet."""
    all_rules = rules()
    backgrounds = {sel: p["background"] for sel, p in all_rules
                   if re.fullmatch(_HEX, p.get("background", ""))}
    pairs = []
    for selector, props in all_rules:
        colour = props.get("color", "")
        if not re.fullmatch(_HEX, colour):
            continue
        own = props.get("background", "")
        if re.fullmatch(_HEX, own):
            pairs.append((selector, colour, own))
            continue
        ancestor = selector.split(" ")[0]  # "QFrame#kioskBar QLabel" sits on the kiosk bar
        if " " in selector and ancestor in backgrounds:
            pairs.append((selector, colour, backgrounds[ancestor]))
            continue
        pairs += [(selector, colour, surface) for surface in SURFACES]
    return pairs


def test_the_parser_finds_the_known_cases():
    pairs = text_pairs()
    assert ('QLabel[role="subtitle"]', "#56657A", "#F4F6F9") in pairs
    assert any(sel == 'QPushButton[kind="primary"]:disabled' for sel, *_ in pairs)
    assert ("QFrame#kioskBar QLabel", "#FFFFFF", "#0F3D7A") in pairs
    assert contrast("#64748B", "#F4F6F9") < AA  # the old subtitle colour fails, as reported


@pytest.mark.parametrize("selector,colour,background", text_pairs())
def test_stylesheet_text_reaches_aa(selector, colour, background):
    assert contrast(colour, background) >= AA, f"{selector}: {colour} on {background}"


def test_colours_painted_in_code_reach_aa():
    from desktop_app.ui.widgets.chat_view import BubbleDelegate

    for colour, background in ((BubbleDelegate.META.name(), "#F8FAFC"),
                               (BubbleDelegate.FAILED.name(), "#F8FAFC"),
                               (BubbleDelegate.MINE_TEXT.name(), BubbleDelegate.MINE.name()),
                               (BubbleDelegate.THEIRS_TEXT.name(), BubbleDelegate.THEIRS.name())):
        assert contrast(colour.upper(), background.upper()) >= AA, (colour, background)


def test_status_colours_painted_in_code_are_the_pills_and_reach_aa():
    from desktop_app.ui.theme import STATUS_COLOURS

    pills = {selector.split('"')[1]: props["color"] for selector, props in rules() if selector.startswith("QLabel[pill=")}
    assert {status: pills[status] for status in STATUS_COLOURS} == STATUS_COLOURS
    for colour in STATUS_COLOURS.values():
        assert all(contrast(colour, surface) >= AA for surface in SURFACES), colour
