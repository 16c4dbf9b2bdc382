"""Lint and strict typing are part of the tests: ruff over the tree, mypy --strict over the package.

The package's folders are installed as `nettop.collectors`, `nettop.widgets` and `nettop.tui`
(pyproject's package-dir), so mypy reads them through a temporary `nettop/` of links.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("collectors", "widgets", "tui")


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"{name} is not installed: pip install '.[test]'")
    return found


def test_ruff_finds_nothing() -> None:
    proc = subprocess.run([tool("ruff"), "check", "--output-format", "concise", str(ROOT)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict_finds_nothing(tmp_path: Path) -> None:
    shim = tmp_path / "nettop"
    shim.mkdir()
    for name in PACKAGES:
        (shim / name).symlink_to(ROOT / name, target_is_directory=True)
    proc = subprocess.run([tool("mypy"), "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir",
                           str(tmp_path / "cache"), "-p", "nettop"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no issues found" in proc.stdout


def test_every_package_folder_is_installed() -> None:
    """A package missing from pyproject's list works in an editable install and breaks a real one."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {"nettop." + ".".join(init.parent.relative_to(ROOT).parts)
             for name in PACKAGES for init in (ROOT / name).rglob("__init__.py")}
    assert found == listed
