"""The built wheel's metadata: which Pythons pip will install streamgraph on."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def metadata(tmp_path_factory: pytest.TempPathFactory) -> str:
    from hatchling.build import build_wheel

    out = tmp_path_factory.mktemp("wheel")
    here = Path.cwd()
    os.chdir(ROOT)
    try:
        name = build_wheel(str(out))
    finally:
        os.chdir(here)
    with zipfile.ZipFile(out / name) as wheel:
        (path,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        return wheel.read(path).decode()


def _field(metadata: str, name: str) -> list[str]:
    prefix = f"{name}: "
    return [line[len(prefix) :] for line in metadata.splitlines() if line.startswith(prefix)]


def test_the_wheel_installs_on_every_python_from_3_10_on(metadata: str) -> None:
    (requires,) = _field(metadata, "Requires-Python")
    accepted = SpecifierSet(requires)
    for version in ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15", "3.20"):
        assert accepted.contains(version), (version, requires)
    assert not accepted.contains("3.9")


def test_the_classifiers_name_the_tested_pythons(metadata: str) -> None:
    tested = [c for c in _field(metadata, "Classifier") if c.startswith("Programming Language")]
    assert tested == [f"Programming Language :: Python :: 3.{minor}" for minor in (10, 11, 12, 13)]
