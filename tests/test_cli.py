import subprocess
import sys

from kaffeeklatsch import __version__
from kaffeeklatsch.cli import main


def test_version_is_printed(capsys) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"kaffeeklatsch {__version__}"


def test_console_script_module_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kaffeeklatsch", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert __version__ in result.stdout
