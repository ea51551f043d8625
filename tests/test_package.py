"""The package's surface: version, lazy imports, entry points."""

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import synthetic_price_csv

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


# ------------------------------------------------------------------------------ the built package
ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "lstmlab"


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """``python -m build`` of this checkout: the sdist, and the wheel built from that sdist.

    Without build isolation (hatchling comes with the test extra), so no network is used.
    """
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir",
                             str(out), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def _wheel(dist: Path) -> Path:
    (wheel,) = dist.glob("lstmlab-*-py3-none-any.whl")
    return wheel


def test_wheel_holds_every_module_the_css_and_py_typed(dist):
    with zipfile.ZipFile(_wheel(dist)) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "lstmlab = lstmlab.cli:main" in archive.read(entry_points).decode()
    sources = {f"lstmlab/{p.relative_to(PACKAGE).as_posix()}" for p in PACKAGE.rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert {"lstmlab/templates/page.css", "lstmlab/templates/report.html.j2", "lstmlab/py.typed",
            "lstmlab/cli.py"} <= sources
    assert sources <= names, sorted(sources - names)
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/"))]


def test_sdist_holds_the_sources_tests_docs_and_changelog(dist):
    (sdist,) = dist.glob("lstmlab-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    for name in ("pyproject.toml", "README.md", "CHANGELOG.md", "LICENSE",
                 "src/lstmlab/templates/page.css", "src/lstmlab/py.typed", "tests/conftest.py",
                 "docs/export.md", "examples/tesla_hands_on.ipynb"):
        assert name in names, name


def test_wheel_installs_in_a_fresh_venv_and_runs_compare(dist, tmp_path):
    """Install the wheel alone (``--no-deps``) into a new venv that reads this interpreter's
    packages through a ``.pth`` line (so torch is not downloaded again), then run it there."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site_dir = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path("
                               "'purelib'))"], capture_output=True, text=True, check=True)
    parent = [p for p in sys.path if p.endswith("-packages") and Path(p).is_dir()]
    (Path(site_dir.stdout.strip()) / "parent.pth").write_text("\n".join(parent) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-deps", "--no-index", str(_wheel(dist))], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LSTMLAB_DATA_DIR")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["lstmlab", *args], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=300)

    where = subprocess.run([python, "-c", "import lstmlab; print(lstmlab.__file__)"],
                           capture_output=True, text=True, env=env, cwd=tmp_path, check=True)
    assert where.stdout.startswith(str(venv)), where.stdout  # the wheel, not this checkout
    assert run("--version").stdout.strip() == f"lstmlab {lstmlab.__version__}"
    shown = run("--help")
    assert shown.returncode == 0 and "compare" in shown.stdout and "export" in shown.stdout
    csv = synthetic_price_csv(tmp_path / "small.csv", n=300)
    ran = run("compare", str(csv), "--epochs", "1", "--hidden-size", "4", "--lookback", "10",
                  "--out", "runs", "--name", "wheel", "--quiet")
    assert ran.returncode == 0, ran.stderr
    report = (tmp_path / "runs" / "wheel" / "report.html").read_text(encoding="utf-8")
    css = (PACKAGE / "templates" / "page.css").read_text(encoding="utf-8")
    assert f"<style>{css.removesuffix(chr(10))}</style>" in report  # the packaged CSS, inlined
