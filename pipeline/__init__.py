"""Testimony: scans of Soviet-era repression documents to person, date and place records."""

__version__ = "0.3.0"
