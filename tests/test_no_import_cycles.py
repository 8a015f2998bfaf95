"""No module of desktop_app/core imports itself in a circle (function-level and TYPE_CHECKING imports included)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.import_graph import REPO, cycles, import_graph


def test_desktop_app_core_has_no_import_cycle():
    assert cycles(import_graph(REPO / "desktop_app" / "core")) == []


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_a_cycle_through_a_function_or_type_checking_import_is_found(tmp_path):
    _write(tmp_path / "pkg" / "__init__.py", "from pkg.a import thing\n")
    _write(tmp_path / "pkg" / "a.py", "def thing():\n    from pkg.b import other\n    return other\n")
    _write(tmp_path / "pkg" / "b.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                      "    from pkg.a import thing\nother = 1\n")
    _write(tmp_path / "pkg" / "c.py", "from . import b\nfrom pkg import thing\n")  # uses, no circle
    graph = import_graph(tmp_path / "pkg", root=tmp_path)
    assert graph["pkg.c"] == {"pkg.b", "pkg"}
    assert cycles(graph) == [["pkg.a", "pkg.b"]]
