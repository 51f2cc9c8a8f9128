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


def _postgres_bin() -> pathlib.Path | None:
    import shutil

    for candidate in [os.environ.get("PG_BIN"), *sorted(pathlib.Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)]:
        if candidate and (pathlib.Path(candidate) / "initdb").exists():
            return pathlib.Path(candidate)
    found = shutil.which("initdb")
    return pathlib.Path(found).parent if found else None


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """A throwaway PostgreSQL cluster (trust authentication, loopback only); skips without PostgreSQL."""
    binaries = _postgres_bin()
    if binaries is None:
        pytest.skip("PostgreSQL is not installed (set PG_BIN to its bin directory)")
    import shutil
    import tempfile

    # Not under pytest's root-only temporary directory: PostgreSQL refuses to run as root, so runs as `postgres`.
    directory = pathlib.Path(tempfile.mkdtemp(prefix="memoryd-pg-"))
    account = {"user": "postgres"} if os.getuid() == 0 else {}
    if account:
        os.chown(directory, *_uid_gid("postgres"))
    data = directory / "data"
    initdb = subprocess.run(
        [binaries / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
        capture_output=True,
        text=True,
        **account,
    )
    if initdb.returncode != 0:
        pytest.fail(f"initdb failed: {initdb.stderr}")
    port = free_port()
    cluster = subprocess.Popen(
        [binaries / "postgres", "-D", data, "-p", str(port), "-c", "listen_addresses=127.0.0.1",
         "-c", "unix_socket_directories=", "-c", "fsync=off"],
        stdout=subprocess.DEVNULL,
        stderr=open(directory / "postgres.log", "w"),
        **account,
    )
    deadline = time.monotonic() + 30
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        if cluster.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"PostgreSQL did not start: {(directory / 'postgres.log').read_text()}")
        time.sleep(0.1)
    yield f"postgres://postgres@127.0.0.1:{port}/postgres"
    cluster.send_signal(signal.SIGINT)
    cluster.wait(timeout=30)
    shutil.rmtree(directory, ignore_errors=True)


def _uid_gid(name: str) -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


#: Above gRPC's 4 MiB default, as deployments raise it: pages are then cut to this, not to 4 MiB.
LARGE_MESSAGE_BYTES = 16 * 1024 * 1024


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def large_message_server(request, tmp_path_factory):
    """memoryd on each storage backend, with --max-message-bytes above gRPC's default."""
    directory = tmp_path_factory.mktemp(f"memoryd-{request.param}")
    storage = f"sqlite://{directory}/memoryd.db" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    instance = Server(storage, directory / "memoryd.log", ["--max-message-bytes", str(LARGE_MESSAGE_BYTES)])
    yield instance
    instance.stop()
