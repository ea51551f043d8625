"""Sweeps over many series and configurations, on Ray: ``lstmlab sweep``.

- :mod:`~lstmlab.sweep.grid`: SOURCES into series, ``--grid`` specs into configurations;
- :mod:`~lstmlab.sweep.trial`: one (series, configuration) trial into a run directory;
- :mod:`~lstmlab.sweep.store`: the sweep folder and its stored results (resume);
- :mod:`~lstmlab.sweep.runner`: Ray tasks (local or a cluster) or one process;
- :mod:`~lstmlab.sweep.asha`: early termination with ASHA on Ray Tune;
- :mod:`~lstmlab.sweep.leaderboard` and :mod:`~lstmlab.sweep.page`: the results, as CSV, text
  and HTML;
- :mod:`~lstmlab.sweep.command`: the Typer command.

Nothing heavy is imported here: Ray, PyTorch and pandas load when a sweep runs.
"""
