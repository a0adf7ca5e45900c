"""Run every benchmark in bench/ and print one table: metric, Ovation, baseline, ratio, target, pass.

Each script prints lines `RESULT metric=... ovation=... baseline=... ratio=... target=... pass=...`;
this runner collects them. `--quick` passes --quick to every script (CI-sized runs);
`--write-doc` rewrites docs/benchmarks.md with the table and the machine description."""

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
LONG_RUNNING = {"load_mixed"}
RESULT = re.compile(r"^RESULT\s+(.*)$")


def parse(line: str) -> dict[str, str]:
    return dict(re.findall(r"(\w+)=(\"[^\"]*\"|\S+)", line))


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--write-doc", action="store_true")
    parser.add_argument("only", nargs="*", help="script names to run (default: all)")
    args = parser.parse_args()
    scripts = sorted(
        p for p in BENCH.glob("*.py") if p.name != "run_all.py" and not p.name.startswith("_")
    )
    if args.only:
        scripts = [p for p in scripts if p.stem in args.only or p.name in args.only]
    else:
        # The 5-minute mixed load test is a reliability test, run on its own
        # (`python bench/run_all.py load_mixed`), so that `make bench` fits in 15 minutes.
        scripts = [p for p in scripts if p.stem not in LONG_RUNNING]
    rows, failures = [], []
    suite_started = time.monotonic()
    for script in scripts:
        cmd = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        print(f"--- {script.name}", flush=True)
        started = time.monotonic()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)  # noqa: S603
        elapsed = time.monotonic() - started
        found = False
        for line in proc.stdout.splitlines():
            print("   ", line)
            match = RESULT.match(line.strip())
            if match:
                found = True
                rows.append({"script": script.stem, **parse(match.group(1))})
        if proc.returncode != 0 or not found:
            failures.append(script.name)
            print(proc.stderr[-3000:])
            rows.append({"script": script.stem, "metric": script.stem, "pass": "error"})
        for row in rows:
            if row["script"] == script.stem:
                row["script_s"] = f"{elapsed:.0f}"
        print(f"    ({elapsed:.0f} s)")
    total = time.monotonic() - suite_started
    header = ["metric", "ovation", "baseline", "ratio", "target", "pass", "script_s"]
    table = [header] + [[r.get(h, "").strip('"') for h in header] for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    print()
    for i, row in enumerate(table):
        print("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(
        f"\n{len(scripts)} scripts in {total / 60:.1f} min; failures: {', '.join(failures) or 'none'}"
    )
    if args.write_doc:
        write_doc(table, args.quick, total)
    return 1 if failures else 0


def write_doc(table, quick: bool, total: float = 0.0) -> None:
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text() if doc.exists() else ""
    marker = "<!-- results -->"
    head = text.split(marker)[0] if marker in text else text
    lines = [
        marker,
        "",
        f"Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {'quick' if quick else 'full'} sizes.",
        f"Machine: {machine()}.",
        f"Whole suite: {total / 60:.1f} min (`script_s`: wall time of the script that printed the row).",
        "",
        "| " + " | ".join(table[0]) + " |",
        "|" + "---|" * len(table[0]),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in table[1:]]
    doc.write_text(head.rstrip() + "\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
