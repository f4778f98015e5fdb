"""Plumbing with no domain knowledge; imports no app of Kaffeeklatsch."""
