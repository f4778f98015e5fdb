"""Dependency audit with pip-audit, which says so when it could not audit.

pip-audit asks a vulnerability service (PyPI's JSON API by default) about every
installed package. When that service cannot be reached it skips each package and
still ends with "No known vulnerabilities found"; this script reads its JSON report
instead and tells the three cases apart:

- vulnerabilities found: prints them and exits 1;
- the service answered for no package: prints that NOTHING WAS AUDITED and exits 0,
  or 1 with ``--strict`` (or ``AUDIT_STRICT=1``), for machines that reach the service;
- otherwise: prints how many packages were checked and exits 0.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    strict = "--strict" in argv or os.environ.get("AUDIT_STRICT") == "1"
    pip_audit = Path(sys.executable).with_name("pip-audit")
    run = subprocess.run(
        [
            str(pip_audit),
            "--local",
            "--skip-editable",
            "--format",
            "json",
            "--progress-spinner",
            "off",
            "--timeout",
            "20",
        ],
        capture_output=True,
        text=True,
    )
    try:
        report = json.loads(run.stdout or "{}")
    except json.JSONDecodeError:
        report = {}
    dependencies = report.get("dependencies", [])
    if not dependencies:
        print(f"dependency audit: pip-audit failed (exit {run.returncode}):", file=sys.stderr)
        print(run.stderr.strip()[-2000:], file=sys.stderr)
        return 1 if strict else 0
    audited = [d for d in dependencies if "skip_reason" not in d]
    found = [(d["name"], d["version"], v) for d in audited for v in d.get("vulns", [])]
    if found:
        print("dependency audit: known vulnerabilities:")
        for name, version, vuln in found:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            print(f"  {name} {version}: {vuln.get('id')} (fixed in: {fixes})")
        return 1
    if not audited:
        print(
            f"dependency audit: NOT DONE - the vulnerability service could not be reached, "
            f"all {len(dependencies)} installed packages are unchecked"
        )
        return 1 if strict else 0
    print(
        f"dependency audit: {len(audited)} packages checked, no known vulnerabilities "
        f"({len(dependencies) - len(audited)} not checked)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
