"""`scripts/system-deps`, which `make test` and CI run first: it names what is missing and how
to install it when it cannot install itself (no root, no apt-get)."""

import os
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "system-deps"
CHECKED = (
    "pg_ctlcluster",
    "redis-server",
    "ffmpeg",
    "msgfmt",
    "wrk",
    "docker-compose",
    "chromium",
    "chromedriver",
    "pgbouncer",
)


def run_with(tmp_path: Path, commands: list[str]) -> subprocess.CompletedProcess[str]:
    """The script on a PATH that holds only `commands` (and what a shell script itself runs),
    without apt-get."""
    for command in [*commands, "bash", "id"]:
        found = shutil.which(command)
        assert found, command
        (tmp_path / command).symlink_to(found)
    return subprocess.run(
        [str(tmp_path / "bash"), str(SCRIPT)],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": str(tmp_path)},
        check=False,
    )


def test_with_everything_there_it_does_nothing(tmp_path: Path) -> None:
    result = run_with(tmp_path, list(CHECKED))

    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_what_it_cannot_install_it_names_with_the_command(tmp_path: Path) -> None:
    result = run_with(tmp_path, [c for c in CHECKED if c not in ("docker-compose", "wrk")])

    assert result.returncode == 1
    assert "missing" in result.stderr
    assert "apt-get install -y -qq" in result.stderr
    assert "docker-compose" in result.stderr
    assert " wrk" in result.stderr
