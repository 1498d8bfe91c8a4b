"""Every environment the project's metadata declares, made with uv, and what runs in each.

    python scripts/environments.py test [NAME ...]   # the suite (but what needs the dev tools) in each
    python scripts/environments.py bench [NAME ...]  # benchmarks/run.py's import section in each
    python scripts/environments.py list              # the environments, a line each

.ci/run runs ``test`` after the whole suite has passed in its own environment (Python 3.11 with the
newest releases, so the newest pydantic minor: ``test pydantic-2.14`` names it when it is not);
``bench`` gives docs/performance.md its table of first use by pydantic version.
Each environment is a virtual environment under ``.ci-envs/`` with the project installed editable
with its ``test`` extra; uv finds the interpreters through pyenv where it is there, else on PATH.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS_DIR = ROOT / ".ci-envs"


class Environment(NamedTuple):
    name: str
    python: str
    # Requirements installed with the project, pinning what the environment is about.
    requirements: Sequence[str] = ()
    # uv's resolution: "highest", or "lowest-direct" for the lowest release of every dependency
    # the project names.
    resolution: str = "highest"
    # Whether ``test`` with no names runs it: the newest pydantic minor is the one .ci/run's own
    # environment (the newest releases) already has.
    by_default: bool = True


ENVIRONMENTS = [
    # The latest patch of each pydantic minor the metadata admits (pydantic>=2.11,<3).
    Environment("pydantic-2.11", "3.11", ["pydantic~=2.11.0"]),
    Environment("pydantic-2.12", "3.11", ["pydantic~=2.12.0"]),
    # Run by default as python-3.9 below, the newest pydantic for Python 3.9.
    Environment("pydantic-2.13", "3.11", ["pydantic~=2.13.0"], by_default=False),
    Environment("pydantic-2.14", "3.11", ["pydantic~=2.14.0"], by_default=False),
    # The lowest release of every dependency the metadata names.
    Environment("lowest-direct", "3.11", resolution="lowest-direct"),
    # The oldest and newest Python declared, with the newest releases they have (2.13 is the last
    # pydantic minor for Python 3.9).
    Environment("python-3.9", "3.9", ["pydantic~=2.13.0"]),
    Environment("python-3.13", "3.13"),
]
BENCHMARKED = [environment for environment in ENVIRONMENTS if environment.name.startswith("pydantic-")]


def interpreter(version: str) -> str:
    """The path of Python ``version`` (e.g. "3.9"): pyenv's, else ``pythonX.Y`` on PATH."""
    if shutil.which("pyenv"):
        prefix = subprocess.run(["pyenv", "prefix", version], capture_output=True, text=True)
        if prefix.returncode == 0:
            path = Path(prefix.stdout.strip().splitlines()[-1], "bin", f"python{version}")
            if path.exists():
                return str(path)
    found = shutil.which(f"python{version}")
    if found is None:
        raise SystemExit(f"Python {version} is not installed (neither through pyenv nor on PATH)")
    return found


def uv() -> str:
    found = shutil.which("uv")
    if found is None:
        raise SystemExit("uv is not installed: pip install uv (the test extra has it)")
    return found


def make(environment: Environment) -> Path:
    """The environment's interpreter, after creating it afresh and installing the project."""
    place = ENVIRONMENTS_DIR / environment.name
    shutil.rmtree(place, ignore_errors=True)
    run([uv(), "venv", "--quiet", "--python", interpreter(environment.python), str(place)])
    env = {**os.environ, "VIRTUAL_ENV": str(place)}
    run([uv(), "pip", "install", "--quiet", "--resolution", environment.resolution, "-e", f"{ROOT}[test]",
         *environment.requirements], env=env)
    return place / "bin" / "python"


def run(command: List[str], env: Optional[Dict[str, str]] = None) -> None:
    done = subprocess.run(command, cwd=ROOT, env=env)
    if done.returncode:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}")


def versions(python: Path) -> str:
    code = ("import sys, pydantic, pydantic_core, urllib3, websocket, dateutil;"
            "print(f'Python {sys.version.split()[0]}, pydantic {pydantic.VERSION} (core {pydantic_core.__version__}),"
            " urllib3 {urllib3.__version__}, websocket-client {websocket.__version__},"
            " python-dateutil {dateutil.__version__}')")
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test(chosen: Sequence[Environment]) -> int:
    results: List[str] = []
    failed = 0
    for environment in chosen:
        started = time.perf_counter()
        python = make(environment)
        print(f"[{environment.name}] {versions(python)}", flush=True)
        done = subprocess.run([str(python), "-m", "pytest", "-q", "-m", "not dev_tools", "-p", "no:cacheprovider"],
                              cwd=ROOT)
        failed += done.returncode != 0
        results.append(f"{environment.name}: {'passed' if done.returncode == 0 else 'FAILED'}"
                       f" ({time.perf_counter() - started:.0f} s) {versions(python)}")
    print("\n".join(results))
    return 1 if failed else 0


def bench(chosen: Sequence[Environment]) -> int:
    rows = ["| pydantic | first use (import + Asset.from_json) | ratio to the dependencies' import | target |",
            "|---|---|---|---|"]
    for environment in chosen:
        python = make(environment)
        done = subprocess.run([str(python), "benchmarks/run.py", "--only", "import"], cwd=ROOT,
                              capture_output=True, text=True)
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return 1
        line = next(line for line in done.stdout.splitlines() if line.startswith("| first use (import"))
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        version = re.search(r"pydantic (\S+) \(core (\S+)\)", versions(python))
        assert version is not None
        rows.append(f"| {version[1]} (core {version[2]}) | {cells[1]} | {cells[3]} | {cells[4]} |")
    print("\n".join(rows))
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["test", "bench", "list"])
    parser.add_argument("names", nargs="*", help="only these environments (default: all)")
    options = parser.parse_args(argv)
    pool = BENCHMARKED if options.what == "bench" else ENVIRONMENTS
    known = {environment.name for environment in ENVIRONMENTS}
    unknown = sorted(set(options.names) - known)
    if unknown:
        parser.error(f"unknown environments: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    chosen = [environment for environment in pool
              if environment.name in options.names or not options.names and (environment.by_default or options.what != "test")]
    if options.what == "list":
        for environment in chosen:
            pins = " ".join(environment.requirements) or "newest releases"
            print(f"{environment.name}: Python {environment.python}, {pins}, resolution {environment.resolution}")
        return 0
    return test(chosen) if options.what == "test" else bench(chosen)


if __name__ == "__main__":
    sys.exit(main())
