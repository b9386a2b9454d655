"""tieout: tie out what sales sold, operations delivered and finance billed."""

__version__ = "0.1.0"

__all__ = ["__version__"]
