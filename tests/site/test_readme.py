"""The README tells the truth: its commands exist, and every setting it names is one
the code reads, and every environment variable the code reads is in it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text()
READS = re.compile(
    r"""(?:os\.environ\.get|os\.getenv|env_bool|env_list)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def variables_read_by_the_code() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "kaffeeklatsch").rglob("*.py"):
        names |= set(READS.findall(path.read_text()))
    # Set by the tests, not by an administrator.
    return names - {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def variables_in_the_table() -> set[str]:
    section = README.split("### Configuration (environment variables)", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_every_variable_the_code_reads_is_documented() -> None:
    missing = variables_read_by_the_code() - variables_in_the_table()
    assert not missing, f"README's configuration table lacks {sorted(missing)}"


def test_every_documented_variable_is_read_by_the_code() -> None:
    unknown = variables_in_the_table() - variables_read_by_the_code()
    assert not unknown, f"README documents variables no code reads: {sorted(unknown)}"


def test_the_readme_starts_with_the_two_commands_and_they_exist() -> None:
    first_block = README.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()]
    assert commands == ["./scripts/run.sh", "./scripts/test.sh"]
    for command in commands:
        script = ROOT / command
        assert script.exists(), command
        assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    ci = (ROOT / ".ci/run").read_text()
    assert "scripts/test.sh" in ci
    run = (ROOT / "scripts/run.sh").read_text()
    for step in ("migrate", "demo", "worker", "runserver"):
        assert f"kaffeeklatsch {step}" in run
    production = README.split("## Running it in production", 1)[1]
    for topic in ("### PostgreSQL", "EMAIL_HOST", "kaffeeklatsch worker", "### Reverse proxy"):
        assert topic in production, topic


def test_the_worker_options_the_readme_names_exist() -> None:
    from kaffeeklatsch.jobs.management.commands.worker import Command

    text = Command().create_parser("kaffeeklatsch", "worker").format_help()
    after = README.split("kaffeeklatsch worker` loops", 1)[1][:300]
    options = re.findall(r"`(--[a-z-]+)`", after)
    assert options == ["--interval", "--once"]
    for option in options:
        assert option in text, option
