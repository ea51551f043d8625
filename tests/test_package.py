"""The package's surface: version, lazy imports, entry points."""

import subprocess
import sys

import pytest

import lstmlab


def test_version_is_a_release_string():
    parts = lstmlab.__version__.split(".")
    assert len(parts) == 3 and all(p.isdigit() for p in parts)


def test_import_does_not_load_torch():
    code = "import sys, lstmlab, lstmlab.cli; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        lstmlab.nope  # noqa: B018


def test_cli_version_exit_code_and_output():
    out = subprocess.run(
        [sys.executable, "-m", "lstmlab", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert out.stdout.strip() == f"lstmlab {lstmlab.__version__}"


def test_every_public_name_resolves():
    for name in lstmlab.__all__:
        assert getattr(lstmlab, name) is not None, name
