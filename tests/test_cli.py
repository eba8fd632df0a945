"""The `rastro` command end to end: `rastro run` on a fresh data directory (what `make run`
does after installing), the demo login, users and key rotation, clean shutdown."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

import httpx
import psutil
import pytest

from rastro.core.embedded import EmbeddedPostgres
from tests.conftest import TEST_PGDATA, free_port

PYTHON = sys.executable


def _env(data_dir, port):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CRM_", "BI_", "SECRET_", "ENCRYPTION_"))
    }
    env.update(
        {
            "RASTRO_DATA_DIR": str(data_dir),
            "RASTRO_PORT": str(port),
            "RASTRO_ENV": "development",
            "LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@pytest.fixture
def data_dir():
    # Not under pytest's tmp dir: that one is 0700 root, and PostgreSQL runs as `pgserver`.
    path = TEST_PGDATA.parent / f"cli-{uuid.uuid4().hex[:8]}"
    yield path
    EmbeddedPostgres(path).stop()
    shutil.rmtree(path, ignore_errors=True)


def test_run_serves_ready_prints_a_working_login_and_stops_postgres(data_dir):
    port = free_port()
    env = _env(data_dir, port)
    proc = subprocess.Popen(
        [PYTHON, "-m", "rastro", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 120
        email = password = None
        while password is None:
            assert time.monotonic() < deadline, "".join(output)
            line = proc.stdout.readline()
            assert line or proc.poll() is None, "".join(output)
            output.append(line)
            if m := re.search(r"e-mail:\s+(\S+)", line):
                email = m.group(1)
            if m := re.search(r"password:\s+(\S+)", line):
                password = m.group(1)
        base = f"http://127.0.0.1:{port}"
        while True:
            assert time.monotonic() < deadline, "".join(output)
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        login = httpx.post(f"{base}/api/auth/login", json={"email": email, "password": password})
        assert login.status_code == 200, login.text
        me = httpx.get(
            f"{base}/api/auth/me",
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
        )
        assert me.json()["organization"]["name"] == "Rastro Demo"
        assert (data_dir / "demo-login.txt").read_text() == (
            f"email: {email}\npassword: {password}\n"
        )
        assert not password.startswith("-")
        assert EmbeddedPostgres(data_dir).is_running()
        # The job worker runs below the server's CPU priority.
        while True:
            workers = _workers(proc.pid)
            if workers and workers[0].nice() == 10:
                break
            assert time.monotonic() < deadline, [(w.cmdline(), w.nice()) for w in workers]
            time.sleep(0.3)
        # a worker that dies is started again
        workers[0].kill()
        while True:
            again = _workers(proc.pid, besides=workers[0].pid)
            if again:
                break
            assert time.monotonic() < deadline, "the dead worker was not started again"
            time.sleep(0.3)
        # PostgreSQL killed: 503 meanwhile, started again, then 200
        (postmaster,) = _postmasters(data_dir)
        postmaster.kill()
        token = login.json()["access_token"]
        statuses = set()
        while True:
            assert time.monotonic() < deadline, statuses
            answers = [
                httpx.get(f"{base}/readyz", timeout=10),
                httpx.get(
                    f"{base}/api/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
                ),
            ]
            for answer in answers:
                assert answer.status_code in (200, 503), answer.text
                if answer.status_code == 503:
                    assert answer.headers["retry-after"]
                statuses.add(answer.status_code)
            if 503 in statuses and all(a.status_code == 200 for a in answers):
                break
            time.sleep(0.2)
        assert EmbeddedPostgres(data_dir).is_running()
        # A worker runs: the one started again, or (when it was still starting while the
        # database went away, which it cannot survive) the one the supervisor started next.
        while not _workers(proc.pid):
            assert time.monotonic() < deadline, "no worker runs after the database came back"
            time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, "".join(output)
    output.extend(proc.stdout.readlines())
    # LOG_FORMAT=json: structured lines, the request id on each request's line
    records = []
    for line in output:
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    ready = [r for r in records if r.get("event") == "request" and r.get("path") == "/readyz"]
    assert ready, "".join(output)
    assert all(len(r["request_id"]) == 32 and r["status"] in (200, 503) for r in ready)
    assert not EmbeddedPostgres(data_dir).is_running()

    # a second start on the same data does not create another demo admin
    rerun = subprocess.run(
        [PYTHON, "-m", "rastro", "demo"], env=env, capture_output=True, text=True, timeout=120
    )
    assert rerun.returncode == 0, rerun.stderr
    assert "already has users" in rerun.stdout


def test_users_create_and_keys_rotate(data_dir):
    env = _env(data_dir, free_port())

    def rastro(*args):
        result = subprocess.run(
            [PYTHON, "-m", "rastro", *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    rastro("db", "upgrade")
    out = rastro(
        "users",
        "create",
        "--email",
        "Owner@Agency.com.br",
        "--name",
        "Owner",
        "--organization",
        "Agência Norte",
        "--password",
        "long enough password",
    )
    assert "owner@agency.com.br as admin of Agência Norte (agencia-norte)" in out
    link = rastro("users", "reset-link", "--email", "OWNER@agency.com.br").strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/reset-password#[A-Za-z0-9_\-]{40,}", link), link
    unknown = subprocess.run(
        [PYTHON, "-m", "rastro", "users", "reset-link", "--email", "nobody@agency.com.br"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert unknown.returncode == 1
    assert "No active account" in unknown.stderr
    key_file = data_dir / "encryption.key"
    before = key_file.read_text().strip()
    out = rastro("keys", "rotate", "--new-key")
    assert re.search(r"Re-encrypted 0 credential\(s\) under key k[0-9a-f]{8}", out)
    after = key_file.read_text().strip()
    assert after.endswith("," + before)
    assert after != before
    current = rastro("db", "current")
    assert re.search(r"^crm: \d{4} \[current\]$", current, re.MULTILINE), current
    assert re.search(r"^bi: \d{4} \[current\]$", current, re.MULTILINE), current


def _workers(pid, *, besides=None):
    """The job-worker children of `pid` that are alive (a child exiting while it is looked
    at is skipped: its command line is gone)."""
    found = []
    for child in psutil.Process(pid).children():
        try:
            alive = child.status() != psutil.STATUS_ZOMBIE
            if "worker" in child.cmdline() and alive and child.pid != besides:
                found.append(child)
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            continue
    return found


def _postmasters(data_dir):
    """PostgreSQL server processes running on `data_dir` (its path is on their command line)."""
    pgdata = str((data_dir / "postgres").resolve())
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if pgdata in " ".join(process.info["cmdline"] or []):
            found.append(process)
    return found


def test_serve_refusing_to_start_stops_the_postgres_it_started(data_dir):
    """On the embedded default `rastro serve` starts PostgreSQL itself: whatever makes it
    refuse to start, it exits 1 and stops that server (no orphan left running)."""
    port = free_port()
    env = _env(data_dir, port)

    def serve(*, code: int = 1, postgres_after: bool = False, **extra_env):
        result = subprocess.run(
            [PYTHON, "-m", "rastro", "serve"],
            env={**env, **extra_env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == code, result.stdout + result.stderr
        assert EmbeddedPostgres(data_dir).is_running() == postgres_after, result.stderr
        assert bool(_postmasters(data_dir)) == postgres_after, result.stderr
        return result

    assert "migrations are pending" in serve().stderr  # a new data dir
    upgrade = subprocess.run(
        [PYTHON, "-m", "rastro", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    assert _postmasters(data_dir) == []  # the command's own server, stopped at its end
    assert "KeyringError" in serve(ENCRYPTION_KEY="not a key").stderr  # bad settings
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        in_use = serve(code=3)  # uvicorn's code for a failed start-up
    assert "address already in use" in (in_use.stdout + in_use.stderr).lower()
    # a server that was running already belongs to another process: left running
    EmbeddedPostgres(data_dir).start()
    serve(postgres_after=True, ENCRYPTION_KEY="not a key")
