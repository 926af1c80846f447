"""List and run the benchmarks in bench/.

    python bench/run.py            # run every benchmark
    python bench/run.py --list     # list them
    python bench/run.py paging     # run those whose name contains "paging"

A benchmark is a module ``bench/bench_<name>.py`` with a ``main()`` that prints its
figures; its docstring's first line is its description. Each runs in its own process so
memory figures are not polluted by the others. Record the results in docs/benchmarks.md.
"""

import argparse
import ast
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


def benchmarks() -> list[tuple[str, str]]:
    found = []
    for path in sorted(BENCH_DIR.glob("bench_*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        found.append((path.stem.removeprefix("bench_"), doc.splitlines()[0] if doc else ""))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("filter", nargs="?", default="", help="run only names containing this")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and stop")
    args = parser.parse_args()
    chosen = [(name, doc) for name, doc in benchmarks() if args.filter in name]
    if args.list or not chosen:
        for name, doc in chosen:
            print(f"{name:<28} {doc}")
        if not chosen:
            print("no benchmark matches" if args.filter else "no benchmarks yet")
        return 0
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "centra_ip.settings"}
    env.setdefault("DEBUG", "true")
    failed = 0
    for name, doc in chosen:
        print(f"== {name}: {doc}", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", f"bench.bench_{name}"], cwd=ROOT, env=env)
        print(
            f"== {name}: {'ok' if result.returncode == 0 else 'FAILED'} "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
