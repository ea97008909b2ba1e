"""`python app.py` as its own process on 127.0.0.1, for tests that measure its memory or kill it (-9)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.api_server import free_port

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 300


@dataclass(slots=True)
class AppProcess:
    """A running app.py: its process, base URL (no trailing slash) and data folder."""

    process: subprocess.Popen[str]
    base: str
    data_dir: Path
    log: Path

    @property
    def api(self) -> str:
        """The /v1 base URL."""
        return self.base + "/v1"

    def rss_mb(self) -> float:
        """Resident memory of the server process (VmRSS in /proc), in MB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS line")

    def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=60)

    def stop(self) -> str:
        """Ctrl-C, then wait; returns what it wrote to stderr and stdout."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.log.read_text(errors="replace")


def copy_index(index_dir: Path, data_dir: Path) -> Path:
    """A private copy of a built index folder, as `<data_dir>/index`."""
    target = data_dir / "index"
    shutil.copytree(index_dir, target)
    return target


def start_app_process(data_dir: Path, **settings: str) -> AppProcess:
    """app.py with ASSISTANT_DATA_DIR=data_dir (its index in data_dir/index) and ASSISTANT_<NAME> settings; returns
    once it serves (a login-guarded 401 counts). Settings inherited from the test's environment are left out."""
    port = free_port()
    inherited = ("ASSISTANT_INDEX_DIR", "ASSISTANT_DATABASE_URL", "ASSISTANT_API_KEYS", "ASSISTANT_USERNAME")
    env = {
        **{k: v for k, v in os.environ.items() if k not in inherited},
        "ASSISTANT_DATA_DIR": str(data_dir),
        "ASSISTANT_PORT": str(port),
        "ASSISTANT_HOST": "127.0.0.1",
        **{f"ASSISTANT_{k.upper()}": v for k, v in settings.items()},
    }
    log = data_dir / f"app-{port}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=out, text=True)
    running = AppProcess(process, f"http://127.0.0.1:{port}", data_dir, log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise AssertionError(f"app.py exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(running.api + "/models", timeout=5).status_code in (200, 401):
                return running
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            running.kill()
            raise AssertionError("app.py did not start:\n" + log.read_text(errors="replace"))
        time.sleep(0.3)
