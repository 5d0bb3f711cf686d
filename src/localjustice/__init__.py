"""Local Justice: a joined-up criminal justice service for a city region."""

__version__ = "0.1.0"
