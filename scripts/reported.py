"""Checks that every collected test reported a result in a JUnit XML report.

Usage: reported.py COLLECTED REPORT..., where COLLECTED lists the collected test ids
(``pytest --collect-only -q``) and each REPORT is a ``--junitxml`` file of a run over
them. Names the tests that reported nothing and exits with 1 if there are any.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path


def junit_name(test_id: str) -> tuple[str, str]:
    """(classname, name) as pytest's JUnit report writes them for a test id."""
    # Parameters may hold "::" themselves (an IPv6 address): split before them.
    base, bracket, parameters = test_id.partition("[")
    path, *parts = base.split("::")
    module = path.removesuffix(".py").replace("/", ".")
    return ".".join([module, *parts[:-1]]), parts[-1] + bracket + parameters


def main(collected_file: str, *report_files: str) -> int:
    collected = Counter(
        junit_name(line.strip())
        for line in Path(collected_file).read_text().splitlines()
        if "::" in line
    )
    reported = Counter(
        (case.get("classname", ""), case.get("name", ""))
        for report_file in report_files
        for case in ET.parse(report_file).getroot().iter("testcase")
    )
    missing = collected - reported
    if missing:
        print(
            f"{sum(missing.values())} of {sum(collected.values())} collected tests "
            "reported no result:",
            file=sys.stderr,
        )
        for (classname, name), count in sorted(missing.items()):
            print(f"  {classname}::{name}" + (f" (x{count})" if count > 1 else ""), file=sys.stderr)
        return 1
    print(f"{sum(collected.values())} collected tests, each reported a result")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
