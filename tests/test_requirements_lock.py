"""The locks, requirements.txt and requirements-dev.txt, against what they are made from: the
.in files and `make lock`'s pip-compile command. No network: only the files and the installed
environment are read."""

import re
import shlex
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
# Each lock and the .in file it is compiled from.
LOCKS = {"requirements.txt": "requirements.in", "requirements-dev.txt": "requirements-dev.in"}

PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+) \\$")
HASH = re.compile(r"^    --hash=sha256:(?P<hash>[0-9a-f]{64})(?P<more> \\)?$")
VIA = re.compile(r"^    # via(?: (?P<one>\S.*))?$")
VIA_MORE = re.compile(r"^    #   (?P<source>\S.*)$")


@dataclass
class Locked:
    version: str
    hashes: set[str] = field(default_factory=set)
    via: list[str] = field(default_factory=list)


def read_in(name: str) -> dict[str, Requirement]:
    """An .in file's requirements by canonical name, with those of the files it includes (-r)."""
    requirements: dict[str, Requirement] = {}
    for raw in (ROOT / name).read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-r "):
            requirements.update(read_in(line.removeprefix("-r ").strip()))
            continue
        assert not line.startswith("-"), f"{name}: unexpected option line {raw!r}"
        requirement = Requirement(line)
        key = canonicalize_name(requirement.name)
        assert key not in requirements, f"{name}: {requirement.name} is required twice"
        requirements[key] = requirement
    return requirements


def own_in(name: str) -> set[str]:
    """The names an .in file requires itself (not through -r)."""
    included = {key for other in includes(name) for key in read_in(other)}
    return set(read_in(name)) - included


def includes(name: str) -> list[str]:
    return [
        line.removeprefix("-r ").strip()
        for line in (ROOT / name).read_text().splitlines()
        if line.startswith("-r ")
    ]


def read_lock(name: str) -> tuple[str, dict[str, Locked]]:
    """A lock's header command and its packages by canonical name; any line that is neither a
    pin, a hash, an annotation nor a comment fails (an index URL or a find-links folder, say)."""
    text = (ROOT / name).read_text()
    header = re.search(r"^# by the following command:\n#\n#    (?P<command>.+)\n#\n", text, re.M)
    assert header, f"{name} has no pip-compile header"
    packages: dict[str, Locked] = {}
    current: Locked | None = None
    expect_hash = False
    for number, line in enumerate(text.splitlines(), 1):
        where = f"{name}:{number}: {line!r}"
        if match := PIN.match(line):
            assert not expect_hash, f"{where}: the package before has no hash"
            key = canonicalize_name(match["name"])
            assert key not in packages, f"{where}: locked twice"
            Version(match["version"])  # a real version, not a range
            current = packages[key] = Locked(match["version"])
            expect_hash = True
        elif match := HASH.match(line):
            assert current is not None, f"{where}: a hash outside a pin"
            assert expect_hash, f"{where}: a hash after the last one (no backslash before it)"
            current.hashes.add(match["hash"])
            expect_hash = bool(match["more"])
        elif match := VIA.match(line):
            assert current is not None, f"{where}: an annotation outside a pin"
            assert not expect_hash, f"{where}: the annotation stands among the hashes"
            if match["one"]:
                current.via.append(match["one"])
        elif match := VIA_MORE.match(line):
            assert current is not None, f"{where}: an annotation outside a pin"
            assert not expect_hash, f"{where}: the annotation stands among the hashes"
            current.via.append(match["source"])
        else:
            assert line == "" or line.startswith("#"), f"{where}: not a pin, hash or comment"
            current = None
    assert not expect_hash, f"{name}: the last package has no hash"
    return header["command"], packages


def make_lock_commands() -> dict[str, str]:
    """The pip-compile command `make lock` runs for each lock, normalized as pip-compile writes
    it in the header (long options sorted, --quiet and LOCK_ARGS left out), by output file."""
    makefile = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    base = re.search(r"^PIP_COMPILE := (.*)$", makefile, re.M)
    recipe = re.search(r"^lock:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert base, "the Makefile defines no PIP_COMPILE"
    assert recipe, "the Makefile has no lock target"
    words = shlex.split(base[1])
    common = words[words.index(next(w for w in words if w.endswith("/pip-compile"))) + 1 :]
    commands = {}
    for line in recipe[1].splitlines():
        words = shlex.split(line.strip())
        assert words[0] == "$(PIP_COMPILE)", f"unexpected lock step {line!r}"
        arguments = [*common, *words[1:]]
        options = sorted(a for a in arguments if a.startswith("--") and a != "--quiet")
        sources = [a for a in arguments if not a.startswith(("--", "$("))]
        output = next(o.removeprefix("--output-file=") for o in options if "output-file" in o)
        commands[output] = shlex.join(["pip-compile", *options, *sources])
    return commands


@pytest.mark.parametrize("lock", LOCKS)
def test_every_requirement_of_the_in_files_is_locked_at_its_pinned_version(lock: str) -> None:
    _, packages = read_lock(lock)

    for key, requirement in read_in(LOCKS[lock]).items():
        assert key in packages, f"{requirement} is not in {lock}: run `make lock`"
        version = packages[key].version
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock} has {key}=={version}, {LOCKS[lock]} asks for {requirement}: run `make lock`"
        )


@pytest.mark.parametrize("lock", LOCKS)
def test_every_locked_package_is_pinned_with_its_hashes(lock: str) -> None:
    _, packages = read_lock(lock)

    assert packages
    for key, locked in packages.items():
        assert locked.hashes, f"{lock}: {key} has no --hash"


def test_the_runtime_lock_is_the_dev_locks_versions_and_files() -> None:
    _, runtime = read_lock("requirements.txt")
    _, dev = read_lock("requirements-dev.txt")

    for key, locked in runtime.items():
        assert key in dev, f"{key} is in requirements.txt but not in requirements-dev.txt"
        assert (dev[key].version, dev[key].hashes) == (locked.version, locked.hashes), key


@pytest.mark.parametrize("lock", LOCKS)
def test_the_lock_was_written_by_make_lock(lock: str) -> None:
    command, _ = read_lock(lock)

    assert command == make_lock_commands()[lock]


@pytest.mark.parametrize("lock", LOCKS)
def test_every_locked_package_is_required_from_an_in_file(lock: str) -> None:
    """Each package's `# via` chain reaches a requirement that an .in file names; an
    annotation `-r X.in` names a package X.in does require (a requirement removed from an .in
    file with the lock left as it was fails here)."""
    _, packages = read_lock(lock)
    in_files = {LOCKS[lock], *includes(LOCKS[lock])}
    rooted: set[str] = set()
    for key, locked in packages.items():
        assert locked.via, f"{lock}: {key} has no `# via` annotation"
        for source in locked.via:
            if source.startswith("-r "):
                in_file = source.removeprefix("-r ")
                assert in_file in in_files, f"{lock}: {key} via {source}"
                assert key in own_in(in_file), f"{lock}: {key} is not in {in_file}"
                rooted.add(key)
            elif not source.startswith("-c "):
                assert canonicalize_name(source) in packages, f"{lock}: {key} via {source}"
    while True:
        more = {
            key
            for key, locked in packages.items()
            if key not in rooted
            and any(canonicalize_name(source) in rooted for source in locked.via)
        }
        if not more:
            break
        rooted |= more
    assert set(packages) - rooted == set(), f"{lock}: required by nothing in {in_files}"


def test_the_installed_environment_is_the_dev_lock() -> None:
    """The suite runs in the dev environment (`make test` installs requirements-dev.txt): a venv
    installed from an older lock fails here rather than somewhere less clear."""
    _, packages = read_lock("requirements-dev.txt")

    installed = {}
    for key in packages:
        try:
            installed[key] = metadata.version(key)
        except metadata.PackageNotFoundError:
            installed[key] = None
    assert installed == {key: locked.version for key, locked in packages.items()}
