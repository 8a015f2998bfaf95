"""Installing prints no setuptools deprecation blocks: pyproject uses the current metadata forms."""

from __future__ import annotations

import re
import tomllib

from tests.cli.conftest import REPO


def test_license_is_an_spdx_expression_with_a_setuptools_that_reads_it():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    # A `{text = …}` table makes setuptools ≥ 77 print a deprecation block on every install.
    assert isinstance(pyproject["project"]["license"], str)
    requirement = next(r for r in pyproject["build-system"]["requires"] if r.startswith("setuptools"))
    minimum = tuple(int(part) for part in re.search(r">=\s*([\d.]+)", requirement).group(1).split("."))
    assert minimum >= (77,)  # the first setuptools that accepts an SPDX string
    assert not any(c.startswith("License ::") for c in pyproject["project"].get("classifiers", []))
