"""The package version, in a module of its own so that any module can import it at the top."""

__version__ = "1.0.0"
