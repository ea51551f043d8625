"""The ``lstmlab`` command line: a thin Typer layer over the library.

Heavy modules (torch, pandas, matplotlib) are imported inside the commands, never at module
level, so that ``lstmlab --help`` answers quickly.
"""

from __future__ import annotations

import typer

from lstmlab._version import __version__

app = typer.Typer(
    name="lstmlab",
    help="Recurrent neural networks (RNN, LSTM, GRU) for time series: train, compare, see inside.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"lstmlab {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_print_version,
        is_eager=True,
    ),
) -> None:
    """Recurrent neural networks (RNN, LSTM, GRU) for time series."""


def main() -> None:
    """Entry point of the ``lstmlab`` console script."""
    app()
