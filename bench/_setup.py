"""Shared set-up for benchmark scripts: a throw-away var/ directory with its own SQLite
database (or DATABASE_URL when given), Django configured, migrations applied."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_setup(*, migrate: bool = True) -> Path:
    sys.path[:0] = [str(ROOT), str(ROOT / "src")]
    var = Path(tempfile.mkdtemp(prefix="ovation-bench-"))
    os.environ["OVATION_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ["DEBUG"] = "false"
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    return var


def result(
    metric: str, ovation: float, baseline: float, ratio: float, target: str, passed: bool
) -> None:
    print(
        f"RESULT metric={metric} ovation={ovation:.4g} baseline={baseline:.4g} ratio={ratio:.3g} "
        f"target={target} pass={'true' if passed else 'false'}",
        flush=True,
    )


# --- servers the load benchmarks start (loopback only, stopped by their process group) ------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_start(
    cmd: list[str], env: dict, port: int, *, cwd: Path = ROOT, wait: float = 60
) -> subprocess.Popen:
    """Start `cmd` in its own process group and return once 127.0.0.1:`port` accepts."""
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.time() + wait
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    server_stop(proc)
    raise RuntimeError(f"server did not start within {wait:.0f} s")


def server_stop(proc: subprocess.Popen | None) -> None:
    """Stop a server started by `server_start`: its whole group (gunicorn master + workers)."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
