"""The hostile-input suite: every bad input lstmlab is known to meet, as named cases.

Each :class:`Case` builds its input in a folder of its own (a bad CSV, a crafted model file, a
crafted run folder or sweep store, an interrupt, a full disk...), runs one ``lstmlab`` command
in-process, and states the one line it must end with and the exit code. :func:`run_case` also
checks the two things no case may do: show a traceback, or change an earlier output (every
file under the case's ``keep/`` folder, and the run or sweep it was given, is hashed before and
after). ``tests/hostile/test_cases.py`` runs every case as a test; ``benchmarks/hostile.py``
runs them all and prints the count line.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import struct
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CASES", "Base", "Case", "Outcome", "run_case"]

TINY = ("--epochs", "2", "--hidden-size", "4", "--lookback", "5", "--seed", "0")


@dataclass
class Base:
    """Inputs shared by the cases, built once: a price file, a trained run, a sweep."""

    root: Path
    _built: dict[str, Path] = field(default_factory=dict)

    def prices(self) -> Path:
        """A 300-day synthetic price CSV."""
        if "prices" not in self._built:
            from conftest import synthetic_price_csv

            self.root.mkdir(parents=True, exist_ok=True)
            self._built["prices"] = synthetic_price_csv(self.root / "AAA.csv", n=300, seed=5)
        return self._built["prices"]

    def run(self) -> Path:
        """A complete run directory of ``lstmlab train`` (one tiny LSTM)."""
        if "run" not in self._built:
            result = _invoke("train", self.prices(), *TINY, "--out", self.root / "runs",
                             "--name", "base", "--quiet")
            assert result.exit_code == 0, result.output
            self._built["run"] = self.root / "runs" / "base"
        return self._built["run"]

    def sweep(self) -> Path:
        """A finished one-trial sequential sweep folder."""
        if "sweep" not in self._built:
            result = _invoke("sweep", self.prices(), *SWEEP_GRID, "--out",
                             self.root / "sweep", "--sequential", "--no-charts", "--quiet")
            assert result.exit_code == 0, result.output
            self._built["sweep"] = self.root / "sweep"
        return self._built["sweep"]


SWEEP_GRID = ("--grid", "hidden_size=4", "--grid", "lookback=5", "--grid", "max_epochs=1")


@dataclass(frozen=True)
class Case:
    """One hostile input: how to build it, the command, and what must come out.

    ``make(folder, base)`` writes the input under ``folder`` and returns the command's
    arguments; ``message`` is a regular expression searched for in the last line of the
    output (``error: ...`` for exit code 1); ``patch`` optionally returns a context manager
    active while the command runs (an interrupt, a full disk).
    """

    name: str
    group: str
    make: Callable[[Path, Base], list[Any]]
    message: str
    exit_code: int = 1
    patch: Callable[[Path], AbstractContextManager[Any]] | None = None
    check: Callable[[Path], bool] | None = None  # further proof that the output is right
    needs: Callable[[Path], str | None] | None = None  # why it cannot run here, if it cannot
    rewrites: tuple[str, ...] = ()  # files a successful run may rewrite (``report.html``)
    after: Callable[[Path], None] | None = None  # undo what ``needs`` set up (an unmount)


@dataclass(frozen=True)
class Outcome:
    """What one case did: ``passed`` (exit code and message as expected), ``traceback``,
    ``lost`` (an earlier output changed), and the command's last line."""

    name: str
    passed: bool
    traceback: bool
    lost: bool
    last_line: str
    skipped: str | None = None  # why the case could not run on this machine


def _invoke(*args: Any) -> Any:
    from typer.testing import CliRunner

    from lstmlab.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def _snapshot(folders: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in folders if folder.is_dir()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _lost(before: dict[str, str], after: dict[str, str], rewrites: tuple[str, ...]) -> bool:
    """Whether an earlier file was removed or changed (new files are fine, and so are the
    files a successful command is meant to rewrite, e.g. a rebuilt ``report.html``)."""
    return any(after.get(path) != digest for path, digest in before.items()
               if Path(path).name not in rewrites)


def run_case(case: Case, folder: Path, base: Base) -> Outcome:
    """Build ``case`` in ``folder``, run it, and judge it."""
    folder.mkdir(parents=True, exist_ok=True)
    missing = case.needs(folder) if case.needs else None
    if missing:
        return Outcome(case.name, False, False, False, "", skipped=missing)
    try:
        return _judge(case, folder, base)
    finally:
        if case.after:
            case.after(folder)


def _judge(case: Case, folder: Path, base: Base) -> Outcome:
    args = case.make(folder, base)
    kept = [folder / "keep"]
    before = _snapshot(kept)
    with case.patch(folder) if case.patch else nullcontext():
        result = _invoke(*args)
    output = (result.stdout or "") + (result.stderr or "")
    lines = [line for line in output.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    traceback = crashed or "Traceback (most recent call last)" in output
    errors = [line for line in lines if line.startswith("error:")]
    one_line = case.exit_code != 1 or len(errors) == 1
    passed = (result.exit_code == case.exit_code and one_line and not traceback
              and re.search(case.message, last) is not None
              and (case.check is None or case.check(folder)))
    rewrites = case.rewrites if result.exit_code == 0 else ()
    return Outcome(case.name, passed, traceback, _lost(before, _snapshot(kept), rewrites), last)


# ------------------------------------------------------------------------------ builders
def _csv(text: str | bytes, name: str = "p.csv") -> Callable[[Path, Base], list[Any]]:
    """``lstmlab data`` on a CSV holding ``text``, writing into ``keep/`` (an earlier chart
    there must survive)."""
    def make(folder: Path, base: Base) -> list[Any]:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        _earlier_output(folder)
        return ["data", path, "--out", folder / "keep", "--quiet"]
    return make


def _earlier_output(folder: Path) -> None:
    keep = folder / "keep"
    keep.mkdir(exist_ok=True)
    (keep / "earlier.txt").write_text("an earlier output\n", encoding="utf-8")


def _rows(n: int = 80, close: Callable[[int], str] = lambda i: f"{100 + i % 7}.5") -> str:
    import pandas as pd

    dates = pd.bdate_range("2020-01-01", periods=n).strftime("%Y-%m-%d")
    return "Date,Close\n" + "".join(f"{d},{close(i)}\n" for i, d in enumerate(dates))


def _copied_run(folder: Path, base: Base) -> Path:
    """A copy of the base run under ``keep/a/b/c/d/run`` (deep, so that ``../../../..``
    stays inside the case folder)."""
    run = folder / "keep" / "a" / "b" / "c" / "d" / "run"
    shutil.copytree(base.run(), run)
    return run


def _manifest(edit: Callable[[dict[str, Any]], Any], command: str = "forecast"
              ) -> Callable[[Path, Base], list[Any]]:
    """``lstmlab forecast`` (or ``report``) on a copy of the base run whose manifest.json
    ``edit`` changed in place."""
    def make(folder: Path, base: Base) -> list[Any]:
        run = _copied_run(folder, base)
        path = run / "manifest.json"
        manifest = json.loads(path.read_text(encoding="utf-8"))
        edit(manifest)
        path.write_text(json.dumps(manifest), encoding="utf-8")
        extra = ["--data", base.prices()] if command == "forecast" else []
        return [command, run, *extra, "--quiet"]
    return make


def _run_file(name: str, content: str | bytes, command: str = "forecast"
              ) -> Callable[[Path, Base], list[Any]]:
    """``lstmlab forecast``/``report`` on a copy of the base run with one file replaced."""
    def make(folder: Path, base: Base) -> list[Any]:
        run = _copied_run(folder, base)
        path = run / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        extra = ["--data", base.prices()] if command == "forecast" else []
        return [command, run, *extra, "--quiet"]
    return make


def _model_bytes(edit: Callable[[bytes], bytes]) -> Callable[[Path, Base], list[Any]]:
    """``lstmlab forecast`` on a copy of the base run whose model file ``edit`` rewrote."""
    def make(folder: Path, base: Base) -> list[Any]:
        run = _copied_run(folder, base)
        path = run / "models" / "lstm.safetensors"
        path.write_bytes(edit(path.read_bytes()))
        return ["forecast", run, "--data", base.prices(), "--quiet"]
    return make


def _header(edit: Callable[[dict[str, Any]], Any]) -> Callable[[bytes], bytes]:
    """Rewrite a safetensors file's JSON header (the tensors' bytes are kept)."""
    def rewrite(data: bytes) -> bytes:
        length = struct.unpack("<Q", data[:8])[0]
        header = json.loads(data[8:8 + length])
        text = edit(header)
        raw = (text if isinstance(text, str) else json.dumps(header)).encode("utf-8")
        return struct.pack("<Q", len(raw)) + raw + data[8 + length:]
    return rewrite


def _resaved(edit: Callable[[dict[str, Any], dict[str, Any]], None]
             ) -> Callable[[Path, Base], list[Any]]:
    """``lstmlab forecast`` on a run whose model was re-saved by lstmlab itself (a valid
    checksum: anyone can write one) after ``edit(tensors, meta)``."""
    def make(folder: Path, base: Base) -> list[Any]:
        from lstmlab.persist import load_model, save_model

        run = _copied_run(folder, base)
        path = run / "models" / "lstm.safetensors"
        tensors, meta = load_model(path)
        edit(tensors, meta)
        save_model(path, tensors, meta)
        return ["forecast", run, "--data", base.prices(), "--quiet"]
    return make


def _store(edit: Callable[[str], str]) -> Callable[[Path, Base], list[Any]]:
    """Rerun the base sweep on a copy whose one stored result ``edit`` rewrote."""
    def make(folder: Path, base: Base) -> list[Any]:
        sweep = folder / "sweep"
        shutil.copytree(base.sweep(), sweep)
        (result,) = sorted((sweep / "results").glob("*.json"))
        result.write_text(edit(result.read_text(encoding="utf-8")), encoding="utf-8")
        return ["sweep", base.prices(), *SWEEP_GRID, "--out", sweep, "--sequential",
                "--no-charts", "--quiet"]
    return make


def _merge(key: str, value: Any) -> Callable[[str], str]:
    return lambda text: json.dumps({**json.loads(text), key: value})


def _train(*extra: Any) -> Callable[[Path, Base], list[Any]]:
    """``lstmlab train`` on the base prices with tiny settings and ``extra`` options."""
    def make(folder: Path, base: Base) -> list[Any]:
        _earlier_output(folder)
        return ["train", base.prices(), *TINY, "--out", folder / "keep", "--quiet", *extra]
    return make


def _args(*args: Any) -> Callable[[Path, Base], list[Any]]:
    """A command whose arguments name ``{folder}`` / ``{prices}`` / ``{run}`` placeholders."""
    def make(folder: Path, base: Base) -> list[Any]:
        _earlier_output(folder)
        values = {"{folder}": folder, "{prices}": base.prices, "{run}": base.run}
        out = []
        for arg in args:
            for key, value in values.items():
                if isinstance(arg, str) and key in arg:
                    arg = arg.replace(key, str(value() if callable(value) else value))
            out.append(arg)
        return out
    return make


def _deep(text: str, depth: int = 100_000) -> str:
    return "[" * depth + "]" * depth


def _cases() -> Iterator[Case]:
    bad_csv = "bad CSV"
    yield Case("csv-empty", bad_csv, _csv(""), r"error: .*p\.csv is empty; expected a CSV")
    yield Case("csv-blank-lines-only", bad_csv, _csv("\n\n  \n"), r"p\.csv is empty")
    yield Case("csv-header-only", bad_csv, _csv("Date,Close\n"),
               r"has a header but no data rows")
    yield Case("csv-no-date-column", bad_csv, _csv("When,Close\n2020-01-02,1\n"),
               r"no date column in .*found columns \[When, Close\]")
    yield Case("csv-no-price-column", bad_csv, _csv("Date,Volume\n2020-01-02,1\n"),
               r"no usable price column in .*found columns \[Date, Volume\]")
    yield Case("csv-bad-date", bad_csv, _csv("Date,Close\n2020-01-02,1\n2020-02-30,1\n"),
               r"unparseable date '2020-02-30' at line 3 of")
    yield Case("csv-missing-date", bad_csv, _csv("Date,Close\n2020-01-02,1\n,1\n"),
               r"missing date at line 3 of")
    yield Case("csv-text-price", bad_csv, _csv("Date,Close\n2020-01-02,1\n2020-01-03,abc\n"),
               r"non-numeric close value 'abc' at line 3 of .*\(2020-01-03\)")
    yield Case("csv-decimal-comma", bad_csv, _csv("Date;Close\n2020-01-02;184,76\n"),
               r"non-numeric close value '184,76' at line 2")
    yield Case("csv-infinite-price", bad_csv, _csv("Date,Close\n2020-01-02,inf\n"),
               r"non-numeric close value 'inf' at line 2")
    yield Case("csv-column-twice", bad_csv, _csv("Date,Close,close\n2020-01-02,1,1\n"),
               r"column close appears twice")
    yield Case("csv-not-utf8", bad_csv, _csv("Date,Close\n2020-01-02,1 \u20ac\n".encode("cp1252")),
               r"is not UTF-8 text \(invalid start byte at byte 24\); save it as UTF-8 CSV")
    yield Case("csv-binary-garbage", bad_csv, _csv(bytes(range(256)) * 4),
               r"no usable price column")
    yield Case("csv-nul-bytes", bad_csv, _csv(b"Date,Close\n2020-01-02,1\x00\x00\n"),
               r"error: .*(non-numeric|well-formed|NUL)")
    yield Case("csv-ragged-line", bad_csv, _csv("Date,Close\n2020-01-02,1\n2020-01-03,1,2,3\n"),
               r"is not a well-formed CSV: .*Expected 2 fields in line 3, saw 4")
    yield Case("csv-long-price-cell", bad_csv,
               _csv("Date,Close\n2020-01-02," + "1" * 10_000 + "x\n"),
               r"the 'Close' cell at line 2 of .* is 10,001 characters long")
    yield Case("csv-long-date-cell", bad_csv,
               _csv("Date,Close\n" + "2" * 1_000_000 + ",1\n"),
               r"the 'Date' cell at line 2 of .* is 1,000,000 characters long")
    yield Case("csv-huge-header", bad_csv, _csv("Date," + "x" * 70_000 + "\n"),
               r"the header line of .* is longer than 65,536 bytes")
    yield Case("csv-unclosed-quote", bad_csv, _csv('Date,Close\n2020-01-02,"1\n2020-01-03,2\n'),
               r"error: ")
    yield Case("csv-duplicate-dates", bad_csv, _csv("Date,Close\n2020-01-02,1\n2020-01-02,2\n"),
               r"error: .*2020-01-02")
    yield Case("csv-missing-values", bad_csv, _csv(_rows(close=lambda i: "" if i == 9 else "5")),
               r"error: .*missing.*line 11")
    yield Case("csv-negative-price", bad_csv, _csv(_rows(close=lambda i: "-3" if i == 4 else "5")),
               r"error: .*-3")
    yield Case("csv-too-short", bad_csv, _csv("Date,Close\n2020-01-02,1\n2020-01-03,2\n"),
               r"error: ")
    yield Case("csv-is-a-folder", bad_csv, _args("data", "{folder}", "--out", "{folder}/keep"),
               r"error: ")
    yield Case("csv-missing-file", bad_csv,
               _args("data", "{folder}/nothing.csv", "--out", "{folder}/keep"),
               r"price file not found: .*nothing\.csv")
    yield Case("csv-pickle-renamed", bad_csv, _csv(b"\x80\x04\x95\x00\x00cos\nsystem\n"),
               r"is not UTF-8 text")
    yield Case("csv-markup-in-cell", bad_csv, _csv("Date,Close\n2020-01-02,[/x]\n"),
               r"non-numeric close value '\[/x\]' at line 2")
    yield Case("csv-markup-in-name", bad_csv, _csv("Date,Close\n2020-01-02,x\n", "a[/b].csv"),
               r"a\[/b\]\.csv")
    yield Case("csv-prices-near-1e305", bad_csv,
               lambda folder, base: _train_on(folder, _rows(300, lambda i: f"{1e305 + i}")),
               r"close is 1e\+305 at line 2 of .*: prices must be below 1e\+150")

    model = "crafted model file"
    yield Case("model-pickle", model, _model_bytes(lambda b: b"\x80\x04\x95" + b"\x00" * 64),
               r"is not a safetensors file \(it looks like a Python pickle\); lstmlab never "
               r"unpickles")
    yield Case("model-zip", model, _model_bytes(lambda b: b"PK\x03\x04" + b"\x00" * 64),
               r"it looks like a zip archive")
    yield Case("model-empty", model, _model_bytes(lambda b: b""),
               r"is not a safetensors file \(it is empty or too short\)")
    yield Case("model-truncated", model, _model_bytes(lambda b: b[: len(b) - 40]),
               r"is truncated: its tensors need")
    yield Case("model-random", model, _model_bytes(lambda b: bytes(range(256)) * 8),
               r"is not a safetensors file")
    yield Case("model-header-not-json", model,
               _model_bytes(lambda b: struct.pack("<Q", 5) + b"{{{{{" + b[8:]),
               r"has a damaged safetensors header")
    yield Case("model-metadata-a-list", model,
               _model_bytes(_header(lambda h: h.update(__metadata__=["x"]))),
               r"error: model file .* (damaged|not an lstmlab model)")
    yield Case("model-metadata-not-strings", model,
               _model_bytes(_header(lambda h: h["__metadata__"].update(
                   {"lstmlab.config": {"cell": "lstm"}}))),
               r"error: model file .*damaged")
    yield Case("model-bad-data-offsets", model,
               _model_bytes(_header(lambda h: next(
                   v for k, v in h.items() if k != "__metadata__").update(
                   data_offsets=["a", None]))),
               r"error: model file .*damaged")
    yield Case("model-deep-json-header", model, _model_bytes(_header(lambda h: _deep(""))),
               r"error: model file .*damaged")
    yield Case("model-5000-digit-number", model,
               _model_bytes(_header(lambda h: json.dumps(h)[:-1] + ', "n": ' + "9" * 5000 + "}")),
               r"error: model file .*damaged")
    yield Case("model-checksum", model,
               _model_bytes(lambda b: b[:-4] + bytes(4 * [0x41])),
               r"fails its checksum")
    yield Case("model-future-format", model,
               _model_bytes(_header(lambda h: h["__metadata__"].update(
                   {"lstmlab.format_version": "99"}))),
               r"model format version 99")
    yield Case("model-claims-hidden-8000", model,
               _resaved(lambda t, m: m["config"].update(hidden_size=8000)),
               r"hidden_size must be at most 4,096")
    yield Case("model-claims-hidden-2000", model,
               _resaved(lambda t, m: m["config"].update(hidden_size=2000)),
               r"error: model file .*(shape|hidden_size)")
    yield Case("model-wrong-shapes", model,
               _resaved(lambda t, m: t.update({k: v[:1] for k, v in t.items()})),
               r"error: model file .*shape")
    yield Case("model-missing-tensor", model,
               _resaved(lambda t, m: t.pop(sorted(t)[0])),
               r"error: model file .*(missing|shape)")
    yield Case("model-nan-weights", model,
               _resaved(lambda t, m: [v.fill_(float("nan")) for v in t.values()]),
               r"error: model file .*not finite")
    yield Case("model-empty-band", model, _resaved(lambda t, m: m.update(band=[])),
               r"error: model file .*band")
    yield Case("model-zero-scale", model, _resaved(_zero_scale), r"error: .*scale finite and "
               r"positive")
    yield Case("model-config-not-object", model, _resaved(lambda t, m: m.update(config=[1])),
               r"error: model file .* is inconsistent \('list' object is not a mapping\)")

    run = "crafted run folder"
    yield Case("run-manifest-not-json", run, _run_file("manifest.json", "{"),
               r"manifest\.json is damaged")
    yield Case("run-manifest-a-list", run, _run_file("manifest.json", "[]"),
               r"manifest\.json is damaged \(not a JSON object\)")
    yield Case("run-manifest-deep", run, _run_file("manifest.json", _deep("")),
               r"manifest\.json is damaged")
    yield Case("run-manifest-5000-digits", run,
               _run_file("manifest.json", '{"kind": ' + "9" * 5000 + "}"),
               r"manifest\.json is damaged")
    yield Case("run-wrong-kind", run, _manifest(lambda m: m.update(kind="other")),
               r"is not an lstmlab run manifest")
    yield Case("run-future-format", run, _manifest(lambda m: m.update(format_version=99)),
               r"has run format 99")
    yield Case("run-model-path-escapes", run,
               _manifest(lambda m: m.update(models={"lstm": "../../../../x"})),
               r"error: run .* names model file '../../../../x' outside the run")
    yield Case("run-model-name-escapes", run,
               _manifest(lambda m: m.update(models={"../../x": "models/lstm.safetensors"},
                                            best_model="../../x")),
               r"error: run .* names a model '../../x'")
    yield Case("run-best-model-missing", run, _manifest(lambda m: m.update(best_model="gru")),
               r"error: run .*gru")
    yield Case("run-models-not-a-table", run, _manifest(lambda m: m.update(models="lstm")),
               r"error: run .*models")
    yield Case("run-html-in-names", run,
               _manifest(lambda m: m.update(source="<a href=x>s</a>", name="<form>",
                                            created="<img src=x>"), command="report"),
               r"report\.html$", exit_code=0, check=_no_injected_html, rewrites=("report.html",))
    yield Case("run-html-in-dates", run,
               _manifest(lambda m: m["data"].update(first="<a href=y>", last="<form>"),
                         command="report"), r"error: run .*(date|first)")
    yield Case("run-html-model-name", run,
               _manifest(lambda m: m.update(models={"<b>x</b>": "models/lstm.safetensors"},
                                            best_model="<b>x</b>"), command="report"),
               r"error: run .* names a model '<b>x</b>'")
    yield Case("run-no-config", run, _run_file("config.json", ""), r"config\.json is damaged")
    yield Case("run-is-a-file", run, _args("forecast", "{prices}"),
               r"is a file, not a run directory")
    yield Case("run-missing", run, _args("forecast", "{folder}/nothing"),
               r"run directory .*nothing does not exist")
    yield Case("run-metrics-missing", run, _run_file("metrics.csv", b"", command="report"),
               r"error: ")

    yield Case("csv-html-in-name", bad_csv, _sweep_of_html_name, r"leaderboard\.csv$",
               exit_code=0, check=_no_injected_sweep_html)

    store = "crafted sweep store"
    yield Case("store-truncated", store, _store(lambda t: t[: len(t) // 2]),
               r"leaderboard\.csv$", exit_code=0)
    yield Case("store-metrics-a-string", store, _store(_merge("metrics", "fast")),
               r"leaderboard\.csv$", exit_code=0)
    yield Case("store-unknown-status", store, _store(_merge("status", "excellent")),
               r"leaderboard\.csv$", exit_code=0)
    yield Case("store-deep-json", store, _store(_deep), r"leaderboard\.csv$", exit_code=0)
    yield Case("store-not-an-object", store, _store(lambda t: "[1, 2]"),
               r"leaderboard\.csv$", exit_code=0)

    usage = "bad option"
    yield Case("option-epochs-zero", usage, _train("--epochs", "0"), r"", exit_code=2)
    yield Case("option-unknown-cell", usage, _train("--cell", "transformer"), r"", exit_code=2)
    yield Case("option-hidden-huge", usage, _train("--hidden-size", "100000"),
               r"hidden_size must be at most 4,096, got 100,000")
    yield Case("option-layers-huge", usage, _train("--layers", "1000"),
               r"num_layers must be at most 16")
    yield Case("option-lookback-huge", usage, _train("--lookback", "1000000"),
               r"lookback must be at most 10,000")
    yield Case("option-bad-split", usage, _train("--split", "a,b"), r"error: ")
    yield Case("option-name-escapes", usage, _train("--name", "../../x"),
               r"run name '\.\./\.\./x' must be a plain folder name")
    yield Case("option-sweep-bad-grid", usage,
               _args("sweep", "{prices}", "--grid", "bogus=1", "--out", "{folder}/keep/s",
                     "--sequential"), r"error: .*bogus")

    unlucky = "unlucky moment"
    yield Case("ctrl-c-while-loading", unlucky, _train(), r"interrupted: stopped before "
               r"anything was written", exit_code=130, patch=_ctrl_c("lstmlab.data.load_prices"))
    yield Case("ctrl-c-in-training", unlucky, _train("--name", "cut"),
               r"interrupted: training stopped \(lstm after 1 of 2 epochs\)", exit_code=130,
               patch=_ctrl_c_epoch)
    yield Case("out-is-a-file-train", unlucky, _out_file("train", "{prices}", *TINY),
               r"error: cannot .*blocked")
    yield Case("out-is-a-file-sweep", unlucky,
               _out_file("sweep", "{prices}", *SWEEP_GRID, "--sequential", "--no-charts"),
               r"error: cannot .*blocked")
    yield Case("out-is-a-file-memory", unlucky, _out_file("memory", "--steps", "1"),
               r"error: cannot .*blocked")
    yield Case("out-is-a-file-data", unlucky, _out_file("data", "{prices}"),
               r"error: cannot .*blocked")
    for command, extra in (("sweep", ("{prices}", *SWEEP_GRID, "--sequential")),
                           ("memory", ("--steps", "1")), ("train", ("{prices}", *TINY))):
        yield Case(f"read-only-out-{command}", unlucky,
                   _args(command, *extra, "--out", "{folder}/ro/out", "--quiet"),
                   r"error: cannot .*Read-only file system", needs=_mount_read_only,
                   after=_unmount)
    yield Case("disk-full-while-saving-charts", unlucky, _train(), r"error: cannot write .*"
               r"No space left on device", patch=_disk_full("matplotlib.figure.Figure.savefig"))
    yield Case("disk-full-tmpfs", unlucky, _train_into_tmpfs,
               r"error: cannot write .*No space left on device", needs=_mount_tmpfs,
               after=_unmount)
    yield Case("two-runs-in-one-second", unlucky, _train_beside, r"keep/aaa-train-[^/]+$",
               exit_code=0, patch=_concurrent_run, check=_two_runs)


def _train_on(folder: Path, text: str) -> list[Any]:
    path = folder / "p.csv"
    path.write_text(text, encoding="utf-8")
    _earlier_output(folder)
    return ["train", path, *TINY, "--out", folder / "keep", "--quiet"]


def _zero_scale(tensors: dict[str, Any], meta: dict[str, Any]) -> None:
    """Set every scale of the saved scalers to 0 (a division by zero when forecasting)."""
    def zero(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("scale", "scale_", "std") and isinstance(value, list):
                    node[key] = [0.0] * len(value)
                elif key in ("scale", "scale_", "std") and isinstance(value, (int, float)):
                    node[key] = 0.0
                else:
                    zero(value)
        elif isinstance(node, list):
            for item in node:
                zero(item)
    zero(meta["spec"])


def _ctrl_c(target: str) -> Callable[[Path], AbstractContextManager[Any]]:
    from unittest import mock

    def interrupt(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    return lambda folder: mock.patch(target, interrupt)


def _ctrl_c_epoch(folder: Path) -> AbstractContextManager[Any]:
    """Ctrl-C during the second training epoch."""
    from unittest import mock

    from lstmlab import training

    original, calls = training._train_epoch, []

    def epoch(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    return mock.patch.object(training, "_train_epoch", epoch)


def _out_file(*args: Any) -> Callable[[Path, Base], list[Any]]:
    """A command whose ``--out`` is a file (``keep/blocked``): nothing can be written there.
    (A read-only folder is no test here: the suite may run as root, who writes anyway.)"""
    make = _args(*args, "--out", "{folder}/keep/blocked", "--quiet")

    def build(folder: Path, base: Base) -> list[Any]:
        built = make(folder, base)
        (folder / "keep" / "blocked").write_text("a file, not a folder\n", encoding="utf-8")
        return built
    return build


def _disk_full(target: str) -> Callable[[Path], AbstractContextManager[Any]]:
    """``target`` fails as a write to a full disk does."""
    import errno
    import os
    from unittest import mock

    def full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    return lambda folder: mock.patch(target, full)


def _mount_tmpfs(folder: Path) -> str | None:
    """Mount a 1 MB tmpfs on ``folder/keep``; the reason when that is impossible."""
    return _mount(folder / "keep", "size=1m")


def _mount(where: Path, options: str) -> str | None:
    import subprocess

    where.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                              capture_output=True, text=True)
    except OSError as err:
        return f"cannot mount a tmpfs here ({err})"
    return f"cannot mount a tmpfs here ({done.stderr.strip()})" if done.returncode else None


def _mount_read_only(folder: Path) -> str | None:
    """Mount a read-only tmpfs on ``folder/ro`` (read-only even for root)."""
    return _mount(folder / "ro", "size=64k,ro")


def _unmount(folder: Path) -> None:
    import subprocess

    for mounted in (folder / "keep", folder / "ro"):
        if mounted.is_mount():
            subprocess.run(["umount", str(mounted)], capture_output=True)


def _train_into_tmpfs(folder: Path, base: Base) -> list[Any]:
    """``lstmlab train`` into the 1 MB tmpfs at ``keep/`` (charts and report need more)."""
    (folder / "keep" / "earlier.txt").write_text("an earlier output\n", encoding="utf-8")
    return ["train", base.prices(), *TINY, "--out", folder / "keep", "--quiet"]


def _concurrent_run(folder: Path) -> AbstractContextManager[Any]:
    """While the run trains, a second ``lstmlab train`` without ``--name`` starts and ends in
    the same second, as two users of one folder would."""
    from unittest import mock

    from lstmlab import jobs

    original, nested = jobs.fit_models, []

    def fit(*args: Any, **kwargs: Any) -> Any:
        if not nested:  # the other user's run, inside this one's training
            nested.append(1)
            result = _invoke(*_train_beside(folder, None))
            nested.append(result.exit_code)
        return original(*args, **kwargs)

    patches = ExitStack()
    patches.enter_context(mock.patch.object(jobs, "fit_models", fit))
    patches.enter_context(mock.patch("lstmlab.runs.datetime", _FrozenClock))
    return patches


class _FrozenClock:
    """``datetime`` whose ``now()`` is always the same second."""

    @staticmethod
    def now() -> Any:
        import datetime

        return datetime.datetime(2024, 1, 2, 15, 30, 0)


def _train_beside(folder: Path, base: Base | None) -> list[Any]:
    """``lstmlab train`` without ``--name`` into ``keep/``, on a copy of the prices there."""
    prices = folder / "keep" / "AAA.csv"
    if base is not None:
        _earlier_output(folder)
        shutil.copyfile(base.prices(), prices)
    return ["train", prices, *TINY, "--out", folder / "keep", "--quiet"]


def _two_runs(folder: Path) -> bool:
    runs = [p for p in (folder / "keep").iterdir() if p.is_dir() and not p.name.startswith(".")]
    return len(runs) == 2 and all((p / "manifest.json").is_file() for p in runs)


def _sweep_of_html_name(folder: Path, base: Base) -> list[Any]:
    """A sweep of a price file named like an HTML tag."""
    source = folder / "<img src=x onerror=alert(1)>.csv"
    shutil.copyfile(base.prices(), source)
    _earlier_output(folder)
    return ["sweep", source, *SWEEP_GRID, "--out", folder / "keep" / "s", "--sequential",
            "--no-charts", "--quiet"]


def _no_injected_sweep_html(folder: Path) -> bool:
    page = (folder / "keep" / "s" / "report.html").read_text(encoding="utf-8")
    return "<IMG" not in page.upper().replace("&LT;IMG", "")


def _no_injected_html(folder: Path) -> bool:
    page = next((folder / "keep").rglob("report.html")).read_text(encoding="utf-8")
    return not any(tag in page for tag in ("<a href=x>", "<form>", "<img src=x>"))


CASES: list[Case] = list(_cases())
