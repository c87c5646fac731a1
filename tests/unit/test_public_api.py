"""The package's curated public API: exactly these names, each the real object."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import pytest

import levelwise
from levelwise.app.engine import Levelwise
from levelwise.app.programs.loader import load_program
from levelwise.bootstrap import build, create_api
from levelwise.config import Settings
from levelwise.errors import LevelwiseError

PUBLIC = {
    "Levelwise": Levelwise,
    "LevelwiseError": LevelwiseError,
    "Settings": Settings,
    "build": build,
    "create_api": create_api,
    "load_program": load_program,
}


def test_all_lists_exactly_the_public_names():
    assert sorted(levelwise.__all__) == sorted([*PUBLIC, "__version__"])
    assert dir(levelwise) == sorted(levelwise.__all__)


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_each_public_name_is_the_object_of_its_module(name):
    assert getattr(levelwise, name) is PUBLIC[name]


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Engine'"):
        levelwise.Engine  # noqa: B018


def test_the_version_is_the_installed_distributions():
    assert levelwise.__version__ == version("levelwise")


def test_importing_the_package_imports_nothing_heavy():
    code = (
        "import sys, levelwise\n"
        "heavy = {'numpy', 'scipy', 'fastapi', 'sqlalchemy', 'pydantic'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
