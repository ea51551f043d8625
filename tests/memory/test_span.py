"""Memory span: the (variant, length) grid, the process pool, the longest length solved."""

import pytest

from lstmlab.config import parse_variants
from lstmlab.errors import ConfigError
from lstmlab.memory.span import longest_solved, run_span, span_configs, span_line
from lstmlab.memory.train import MemoryConfig, MemoryRun

TINY = MemoryConfig(steps=6, batch_size=8, hidden_size=4, eval_every=3, test_size=32)


def _run(variant: str, length: int, mse: float) -> MemoryRun:
    cell, _, init = variant.partition("-")
    config = MemoryConfig(cell=cell, init=init or None, length=length)
    return MemoryRun(config, model=None, baseline=1 / 6, test={"mse": mse}, seconds=1.0)


def test_configs_cover_the_grid_longest_first_and_stop_when_solved():
    configs = span_configs(TINY, parse_variants("rnn,lstm-chrono"), [50, 200])
    assert [(c.length, c.variant) for c in configs] == [
        (200, "rnn"), (200, "lstm-chrono"), (50, "rnn"), (50, "lstm-chrono")]
    assert all(c.stop_when_solved and c.steps == 6 for c in configs)


def test_longest_solved_and_the_span_line():
    runs = [_run("rnn", 50, 0.005), _run("rnn", 100, 0.16), _run("lstm", 100, 0.02),
            _run("lstm-chrono", 100, 0.001), _run("lstm-chrono", 750, 0.009)]
    assert longest_solved(runs) == {"rnn": 50, "lstm": None, "lstm-chrono": 750}
    assert span_line(runs) == (
        "memory span: rnn T=50, lstm T=none, lstm-chrono T=750 (adding, longest T solved)")


def test_pool_gives_the_same_runs_as_training_here_in_config_order():
    configs = span_configs(TINY, parse_variants("gru,lstm-chrono"), [5])
    here = run_span(configs, workers=1)
    finished: list[str] = []
    pooled = run_span(configs, workers=2, on_run=lambda run: finished.append(run.config.variant))
    assert [r.config for r in pooled] == configs
    assert sorted(finished) == ["gru", "lstm-chrono"]
    for a, b in zip(here, pooled, strict=True):
        assert a.test == pytest.approx(b.test, rel=1e-5)  # another process, same arithmetic
        assert a.steps_run == b.steps_run and a.cpu_seconds > 0


def test_parse_variants_names_cell_and_init():
    assert parse_variants(" LSTM-chrono, rnn,lstm-chrono ,gru-default") == [
        ("lstm", "chrono"), ("rnn", None), ("gru", "default")]
    with pytest.raises(ConfigError, match="unknown cell 'tcn'"):
        parse_variants("tcn-chrono")
    with pytest.raises(ConfigError, match="no cell given"):
        parse_variants(" , ")
