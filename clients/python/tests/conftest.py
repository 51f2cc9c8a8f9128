"""Starts real memoryd servers (the compiled dist/src/main.js) for the tests."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import socket
import subprocess
import time
import uuid
from typing import Sequence

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
MAIN = pathlib.Path(os.environ.get("MEMORYD_MAIN", REPO / "dist" / "src" / "main.js"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One memoryd process on a fixed loopback port; `restart` keeps port and data."""

    def __init__(self, storage: str, log_path: pathlib.Path, args: Sequence[str] = ()) -> None:
        self.storage = storage
        self.args = list(args)
        self.port = free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        if not MAIN.exists():
            pytest.fail(f"{MAIN} is missing: run `npm run build` first")
        self.log = open(self.log_path, "a")
        start = self.log.tell()
        self.process = subprocess.Popen(
            ["node", str(MAIN), "--listen", self.address, "--storage", self.storage, *self.args],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with open(self.log_path) as f:
                f.seek(start)
                for line in f:
                    if line.startswith("{") and json.loads(line).get("msg") == "memoryd serving":
                        return
            if self.process.poll() is not None:
                pytest.fail(f"memoryd exited with {self.process.returncode}: {self.log_path.read_text()}")
            time.sleep(0.05)
        pytest.fail("memoryd did not start within 20 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            assert self.process.wait(timeout=20) == 0
        self.log.close()

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("memoryd")
    instance = Server(f"sqlite://{directory}/memoryd.db", directory / "memoryd.log")
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def unswept_server(tmp_path_factory):
    """A server that never removes expired memories, so that they stay for show_expired."""
    directory = tmp_path_factory.mktemp("memoryd-unswept")
    instance = Server(f"sqlite://{directory}/memoryd.db", directory / "memoryd.log", ["--expiry-sweep-interval-ms", "0"])
    yield instance
    instance.stop()


@pytest.fixture
def user_id() -> str:
    return f"py-{uuid.uuid4()}"
