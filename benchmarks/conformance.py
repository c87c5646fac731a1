"""ADL's xAPI LRS Conformance Test Suite against Levelwise (``make conformance``).

Copies the pinned suite (unmodified) to a temporary folder, installs its Node
packages there, starts ``levelwise serve`` on a fresh SQLite file with one
school and one LRS client, runs the suite for each xAPI version, and counts
passed and failed tests from the JSON log the suite writes (its exit code is
not a verdict). Exits 1 unless every test of every version passed.

    python benchmarks/conformance.py [--suite PATH] [--versions 2.0.0,1.0.3]
        [--grep TEXT] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from servers import free_port, wait_listening

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SUITE = ROOT.parent / "shared" / "conformance" / "lrs-conformance-test-suite"
PROGRAM = ROOT / "src" / "levelwise" / "examples" / "programs" / "english.yaml"
SCHOOL = "conformance"
LEVELWISE = str(Path(sys.executable).with_name("levelwise"))


def _levelwise(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [LEVELWISE, *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return done.stdout


def _install(suite: Path, work: Path) -> Path:
    copy = work / "suite"
    shutil.copytree(suite, copy, ignore=shutil.ignore_patterns("node_modules", "logs"))
    print("npm install (the suite's packages) ...", flush=True)
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=copy,
        check=True,
    )
    return copy


def _count(log: dict[str, Any]) -> tuple[int, int, list[str]]:
    """Passed and failed tests of a suite log, and the failed tests' titles.

    The log is a tree of suites; a test is a node without children.
    """
    passed = failed = 0
    failures: list[str] = []

    def walk(node: dict[str, Any], trail: list[str]) -> None:
        nonlocal passed, failed
        title = str(node.get("title", ""))
        here = [*trail, title] if title else trail
        children = node.get("tests") or []
        if not children:
            if node.get("status") == "failed":
                failed += 1
                error = str(node.get("error", "")).split("\n")[0]
                failures.append(" > ".join(here[-2:]) + f": {error}")
            elif node.get("status") == "passed":
                passed += 1
            return
        for child in children:
            walk(child, here)

    walk(log.get("log", log), [])
    return passed, failed, failures


def _latest_log(suite: Path, before: set[Path]) -> dict[str, Any]:
    logs = sorted(set((suite / "logs").glob("*.log")) - before)
    if not logs:
        raise SystemExit("the suite wrote no log")
    data: dict[str, Any] = json.loads(logs[-1].read_text())
    return data


def _run(
    suite: Path, folder: Path, version: str, grep: str | None
) -> tuple[int, int, list[str]]:
    """One version's run against a server on a fresh database of its own."""
    folder.mkdir(parents=True)
    env = {
        **os.environ,
        "LEVELWISE_DB": str(folder / "lrs.db"),
        # Answers to requests that name no version name this run's version.
        "LEVELWISE_XAPI_DEFAULT_VERSION": version,
    }
    _levelwise("program", "set", str(PROGRAM), "--tenant", SCHOOL, env=env)
    made = json.loads(
        _levelwise("xapi", "clients", "add", "--tenant", SCHOOL, "--json", env=env)
    )
    port = free_port()
    server = subprocess.Popen(
        [LEVELWISE, "serve", "--port", str(port)],
        env=env,
        stdout=(folder / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_listening(port, server, folder / "server.log")
        before = set((suite / "logs").glob("*.log"))
        command = [
            "node",
            "bin/console_runner.js",
            "-e",
            f"http://127.0.0.1:{port}/xapi",
            "-a",
            "-u",
            made["key"],
            "-p",
            made["secret"],
            "-x",
            version,
        ]
        if grep:
            command += ["-g", grep]
        print(f"running the suite for {version} ...", flush=True)
        subprocess.run(
            command, cwd=suite, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        return _count(_latest_log(suite, before))
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    """Run the suite; print passed/failed per version."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", type=Path, default=DEFAULT_SUITE)
    parser.add_argument("--versions", default="2.0.0,1.0.3")
    parser.add_argument("--grep", default=None, help="only tests matching this")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()
    if not (args.suite / "bin" / "console_runner.js").is_file():
        print(f"no conformance suite at {args.suite}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="lw-conformance-"))
    results: dict[str, tuple[int, int, list[str]]] = {}
    try:
        suite = _install(args.suite, work)
        for version in args.versions.split(","):
            results[version] = _run(suite, work / version, version, args.grep)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    ok = True
    for version, (passed, failed, failures) in results.items():
        total = passed + failed
        share = 100 * passed / total if total else 0.0
        counts = f"{passed} passed, {failed} failed of {total}"
        print(f"xAPI {version}: {counts} ({share:.1f} %)")
        for title in failures:
            print(f"  FAILED {title}")
        ok = ok and failed == 0 and total > 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
