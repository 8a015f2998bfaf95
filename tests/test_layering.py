"""Who may import whom across the repository's top-level folders: what ships never reaches into the
development kit or the tests, and the benchmarks share code with the tests only through devkit/."""

from __future__ import annotations

import ast
import fnmatch
import re
import tomllib
from pathlib import Path

import pytest

from tests.helpers.import_graph import REPO, imports_of

SHIPPED = ("desktop_app", "server", "local_store", "training")  # the wheel's packages; the bundle is desktop_app
DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(\.\w+)+")


def _top_level_names(path: Path, root: Path = REPO) -> set[str]:
    """The top-level packages a file imports, or names as a dotted string (a keyring backend, a `-m` target)."""
    named = set(imports_of(path, root))
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and DOTTED_NAME.fullmatch(node.value):
            named.add(node.value)
    return {name.split(".")[0] for name in named}


def _reaching(folder: Path, forbidden: set[str], root: Path = REPO) -> dict[str, set[str]]:
    """{file: the forbidden top-level packages it reaches} for every file of `folder` that reaches one."""
    found = {str(path.relative_to(root)): _top_level_names(path, root) & forbidden
             for path in sorted(folder.rglob("*.py"))}
    return {file: names for file, names in found.items() if names}


@pytest.mark.parametrize("folder", ["benchmarks", "devkit"])
def test_benchmarks_and_the_devkit_do_not_import_the_tests(folder):
    assert _reaching(REPO / folder, {"tests"}) == {}


@pytest.mark.parametrize("folder", SHIPPED)
def test_shipped_code_imports_neither_the_devkit_nor_the_tests(folder):
    assert _reaching(REPO / folder, {"devkit", "tests"}) == {}


def test_a_function_level_import_and_a_named_module_are_both_seen(tmp_path):
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "a.py").write_text("def run():\n    from tests.sync import scenario\n")
    (tmp_path / "bench" / "b.py").write_text('BACKEND = "tests.file_keyring.FileKeyring"\n"""Not tests.here."""\n')
    (tmp_path / "bench" / "c.py").write_text("import devkit.loopback\n")
    assert _reaching(tmp_path / "bench", {"tests"}, root=tmp_path) == {
        str(Path("bench", "a.py")): {"tests"}, str(Path("bench", "b.py")): {"tests"}}


def test_neither_the_wheel_nor_the_installer_packs_the_devkit_or_the_tests():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    included = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    assert not [pattern for pattern in included for name in ("devkit", "tests") if fnmatch.fnmatch(name, pattern)]
    spec = ast.parse((REPO / "build_installer.spec").read_text(encoding="utf-8"))
    excluded = next(ast.literal_eval(node.value) for node in spec.body if isinstance(node, ast.Assign)
                    and any(getattr(target, "id", "") == "EXCLUDED_PACKAGES" for target in node.targets))
    assert {"devkit", "tests"} <= set(excluded)
