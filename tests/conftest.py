"""Settings for the whole test suite."""

from __future__ import annotations

import os

from hypothesis import settings

# The suite is the project's gate, so property tests draw the same examples on
# every run; KAFFEEKLATSCH_HYPOTHESIS=explore draws new ones to look for bugs.
settings.register_profile("gate", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("KAFFEEKLATSCH_HYPOTHESIS", "gate"))
