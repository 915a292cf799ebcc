"""The installed package's version, a module of its own so any layer can name it without importing the package
root (which imports the whole public API)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("synthrr")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
