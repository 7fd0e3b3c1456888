"""Real uvicorn servers on free 127.0.0.1 ports: in a subprocess (restartable) or in a thread."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

# Debian's packages (scripts/install-test-deps.sh); the tests never download a browser.
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def chromium_missing() -> bool:
    """True when Debian's chromium or chromium-driver is not installed."""
    return not (CHROMIUM.exists() and CHROMEDRIVER.exists())


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(proc: subprocess.Popen[bytes], url: str, timeout: float, log_tail: Callable[[], str] = str) -> None:
    """Poll url until it answers 200; raise with the log's tail if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log_tail()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_process(proc)
    raise RuntimeError(f"server at {url} not ready in {timeout}s: {log_tail()}")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a server process, killing it if it does not exit in time."""
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


class LiveServer:
    """`hindsight` served by uvicorn in its own process; settings come through HINDSIGHT_* env."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        # Only the settings given here: no HINDSIGHT_* (or .env) from the developer's shell.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("HINDSIGHT_")}
        self.env = {**inherited, **env, "OMP_NUM_THREADS": "1"}
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> None:
        """Start and wait until /healthz answers ok."""
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.command(), env=self.env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        try:
            wait_ready(self.proc, f"{self.url}/healthz", timeout, self.log_tail)
        except RuntimeError:
            self.proc = None
            raise

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""

    def command(self) -> list[str]:
        """The server process's argv."""
        return [sys.executable, "-m", "uvicorn", "hindsight.app:app_from_env", "--factory",
                "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]

    def stop(self) -> None:
        """Terminate the process (kill it if it does not exit)."""
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> LiveServer:
        """`with LiveServer(env, root) as server:` starts it and stops it however the block ends."""
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def serve_in_thread(app: Any, timeout: float = 30.0) -> Iterator[str]:
    """Serve an ASGI app built in this process (so in-process fakes apply); yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("in-thread server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


class ServeReplica(LiveServer):
    """`hindsight serve` itself (the CLI a deployment runs), one replica of several."""

    def command(self) -> list[str]:
        return [sys.executable, "-m", "hindsight.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
