"""Kaffeeklatsch: systematic coffee rounds, self-hosted and privacy first."""

__version__ = "0.1.0"
