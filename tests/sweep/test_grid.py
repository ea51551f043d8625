"""SOURCES become series and --grid specs become configurations, with clear errors."""

from __future__ import annotations

import pytest

from lstmlab.config import ForecastConfig
from lstmlab.errors import ConfigError, DataError
from lstmlab.sweep.grid import Series, config_labels, expand_sources, parse_grid


def test_tickers_files_and_folders(tiny_dir):
    series = expand_sources(["tsla", str(tiny_dir / "AAA.csv"), str(tiny_dir)])
    assert series == [Series("TSLA", "TSLA"),
                      Series("AAA", str((tiny_dir / "AAA.csv").resolve())),
                      Series("BBB", str((tiny_dir / "BBB.csv").resolve()))]  # AAA listed once


def test_list_file_resolves_paths_beside_it_and_skips_comments(tiny_dir, tmp_path):
    listing = tmp_path / "universe.txt"
    relative = tiny_dir.relative_to(tiny_dir.anchor)  # a path relative to the list's folder
    (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / relative).symlink_to(tiny_dir)
    listing.write_text(f"# my universe\nMSFT  # a ticker\n\n{relative}/BBB.csv\n",
                       encoding="utf-8")
    series = expand_sources([str(listing)])
    assert [s.name for s in series] == ["MSFT", "BBB"]
    assert series[1].source == str((tmp_path / relative / "BBB.csv").resolve())


def test_a_missing_file_is_kept_as_a_path_for_its_trial_to_fail(tmp_path):
    (series,) = expand_sources([str(tmp_path / "gone.csv")])
    assert series == Series("GONE", str(tmp_path / "gone.csv"))


def test_two_series_with_one_name_are_refused(tiny_dir, tmp_path):
    (tmp_path / "AAA.csv").write_bytes((tiny_dir / "AAA.csv").read_bytes())
    with pytest.raises(ConfigError, match=r"two series are both named 'AAA'.*rename one"):
        expand_sources([str(tiny_dir), str(tmp_path / "AAA.csv")])


def test_empty_folder_and_empty_list_are_refused(tmp_path):
    with pytest.raises(DataError, match=r"holds no \.csv price files"):
        expand_sources([str(tmp_path)])
    (tmp_path / "list.txt").write_text("# nothing\n\n", encoding="utf-8")
    with pytest.raises(DataError, match="names nothing"):
        expand_sources([str(tmp_path / "list.txt")])


def test_grid_is_the_product_of_cells_and_values():
    specs = ["hidden_size=32,64", "lookback=30,60", "learning_rate=1e-3",
             "features=log_return+volume"]
    configs = parse_grid(["rnn", "lstm", "gru"], specs)
    assert len(configs) == 12
    assert {(c.cell, c.hidden_size, c.lookback) for c in configs} == {
        (cell, h, lb) for cell in ("rnn", "lstm", "gru") for h in (32, 64) for lb in (30, 60)}
    assert all(c.learning_rate == 1e-3 and c.features == ("log_return", "volume")
               for c in configs)
    assert configs[0].max_epochs == ForecastConfig().max_epochs  # fields not named: defaults


def test_labels_name_only_what_varies():
    configs = parse_grid(["lstm", "gru"], ["hidden_size=8,16", "max_epochs=3"])
    assert config_labels(configs) == ["lstm hidden_size=8", "lstm hidden_size=16",
                                      "gru hidden_size=8", "gru hidden_size=16"]
    assert config_labels(parse_grid(["gru"], [])) == ["gru"]


@pytest.mark.parametrize(("spec", "message"), [
    ("hidden_size", r"is not FIELD=V1,V2,\.\.\."),
    ("hiden_size=3",
     "unknown field 'hiden_size'; known fields: alpha, baseline_window, batch_size"),
    ("hidden_size=3.5", "hidden_size takes int values, got '3.5'"),
    ("cell=gru", "give the cells with --cells, e.g. --cells rnn,lstm,gru"),
    ("hidden_size=0", "hidden_size must be a whole number >= 1, got 0"),
])
def test_bad_grid_specs_say_what_is_wrong(spec, message):
    with pytest.raises(ConfigError, match=message):
        parse_grid(["lstm"], [spec])


def test_a_field_given_twice_is_refused():
    with pytest.raises(ConfigError, match="lookback is already set by an earlier --grid"):
        parse_grid(["lstm"], ["lookback=5", "lookback=10"])


def test_unknown_cell_is_refused():
    with pytest.raises(ConfigError, match="unknown cell 'lsmt'; choose from rnn, lstm, gru"):
        parse_grid(["lsmt"], [])
