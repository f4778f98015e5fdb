"""The matching engine: people, history and rules in; groups, scores and reasons out.

Pure Python on NumPy/SciPy (rustworkx for exact small solves). Nothing here imports
Django or touches a database.
"""
