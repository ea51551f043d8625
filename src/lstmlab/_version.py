"""The single source of lstmlab's version number."""

__version__ = "0.1.0"
