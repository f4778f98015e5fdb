"""Plumbing with no domain knowledge: nothing here imports an app of the package."""
