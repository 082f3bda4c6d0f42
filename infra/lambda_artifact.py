"""Builds one Lambda artifact (a function's or the shared layer's) from requirements.lock.

    python infra/lambda_artifact.py --requirements functions/ingest/requirements.txt \\
        --source functions/ingest --target "$ARTIFACTS_DIR" [--without layer-requirements.txt]
    python infra/lambda_artifact.py --source functions/notify --target "$ARTIFACTS_DIR"

The Makefile's `build-*` targets run it for `sam build` (template.yaml: BuildMethod makefile).
Every package comes from the lock, hash-checked, as a wheel for the Lambda platform (never the
host's), with the dependencies the lock records for it; `--without` leaves out what the layer
already holds. What the functions never load (tests, headers, type stubs, Arrow Flight)
is removed so that a function and its layer stay under Lambda's 250 MB.
Standard library only: it runs with whichever Python runs make.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
# template.yaml: Runtime python3.11 (Amazon Linux 2, glibc 2.26), Architectures x86_64.
# manylinux2014 wheels need glibc 2.17 at most; tests/functional/test_sam_build.py checks both.
PYTHON_VERSION = "3.11"
PLATFORM = "manylinux2014_x86_64"
# What no function loads: tests, C headers, stubs, console scripts, caches, and Arrow Flight (RPC),
# the one pyarrow library that nothing else links to (pyarrow.lib needs Substrait, so it stays).
_DROPPED_DIRS = {"__pycache__", "tests", "include", "bin"}
_DROPPED_FILES = re.compile(
    r".*\.(pyc|pyi|pxd|pyx|h|hpp|cc|cpp)$"
    r"|.*(arrow_flight|arrow_python_flight|/_flight|/_pyarrow_cpp_tests)[^/]*\.so[.0-9]*$"
    r"|.*/flight\.py$"
)


@dataclass
class Pin:
    """One package of the lock: its `name==version` line, its hashes and who needs it."""

    name: str
    lines: list[str] = field(default_factory=list)
    needed_by: set[str] = field(default_factory=set)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path = LOCK) -> dict[str, Pin]:
    """The lock's pins by normalised name, with the `# via` parents uv records."""
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    in_via = False
    for line in path.read_text().splitlines():
        head = re.match(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)==", line)
        if head:
            current = Pin(normalise(head.group(1)), [line])
            pins[current.name] = current
            in_via = False
        elif current is None:
            continue
        elif line.strip().startswith("--hash="):
            current.lines.append(line)
        elif re.match(r"^\s+# via\s*$", line):
            in_via = True
        else:
            parent = re.match(r"^\s+# via (\S+)", line) or (re.match(r"^\s+#\s+(\S+)", line) if in_via else None)
            if parent:
                current.needed_by.add(normalise(parent.group(1)))
    return pins


def requested(path: Path) -> set[str]:
    """The package names a requirements file lists (comments and extras aside)."""
    names = set()
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)", line.strip())
        if match:
            names.add(normalise(match.group(1)))
    return names


def closure(names: set[str], pins: dict[str, Pin]) -> set[str]:
    """The names with everything the lock says they need, transitively."""
    missing = names - pins.keys()
    if missing:
        raise SystemExit(f"not in requirements.lock: {sorted(missing)}")
    chosen = set(names)
    grew = True
    while grew:
        grew = False
        for pin in pins.values():
            if pin.name not in chosen and pin.needed_by & chosen:
                chosen.add(pin.name)
                grew = True
    return chosen


def install(names: set[str], pins: dict[str, Pin], target: Path) -> None:
    """pip-installs the pins, hash-checked, as wheels for the Lambda platform only."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(line for name in sorted(names) for line in pins[name].lines) + "\n")
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--require-hashes",
        "--no-deps",
        "--only-binary=:all:",
        "--platform",
        PLATFORM,
        "--implementation",
        "cp",
        "--python-version",
        PYTHON_VERSION,
        "--target",
        str(target),
        "-r",
        handle.name,
    ]
    try:
        subprocess.run(command, check=True)
    finally:
        Path(handle.name).unlink()


def trim(target: Path) -> None:
    """Removes what no function loads at run time."""
    for path in sorted(target.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        relative = path.relative_to(target).as_posix()
        if ".dist-info" in relative:
            continue
        if path.is_dir() and path.name in _DROPPED_DIRS:
            shutil.rmtree(path)
        elif path.is_file() and _DROPPED_FILES.match(relative):
            path.unlink()


def copy_sources(source: Path, target: Path) -> None:
    """The function's or layer's own code, without caches or its requirements list."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "requirements.txt", "Makefile")
    destination = target / source.name if (source / "__init__.py").exists() else target
    shutil.copytree(source, destination, ignore=ignore, dirs_exist_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requirements", type=Path, help="none: the function's code only (its layers hold the rest)")
    parser.add_argument("--source", type=Path, required=True, help="a function's folder or a package")
    parser.add_argument("--target", type=Path, required=True)
    parser.add_argument("--without", type=Path, help="a layer's requirements: what the function need not hold")
    args = parser.parse_args(argv)

    pins = read_lock()
    names = closure(requested(args.requirements), pins) if args.requirements else set()
    if args.without:
        names -= closure(requested(args.without), pins)
    args.target.mkdir(parents=True, exist_ok=True)
    if names:
        install(names, pins, args.target)
        trim(args.target)
    copy_sources(args.source, args.target)


if __name__ == "__main__":
    main()
