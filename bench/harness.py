"""What every HTTP benchmark here shares: a fresh Rastro on its embedded PostgreSQL, a
signed-in organization with a site, and wrk runs read back as JSON.

The wrk scripts end with a `done()` that prints one `RESULT {...}` line (requests,
duration, errors, p50/p90/p99/max latency in ms).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from rastro.core.embedded import EmbeddedPostgres

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
ORIGIN = "https://loja.bench.example"
PASSWORD = "bench password 123"


@dataclass
class Running:
    base: str
    token: str
    site_key: str
    data: Path

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def url(self, database: str) -> str:
        return EmbeddedPostgres(self.data).url(database)


def _role(args: list[bytes]) -> str | None:
    line = b" ".join(args)
    if b"postgres" in args[0]:
        return "postgres"
    if b"rastro worker" in line:
        return "job_worker"
    if b"spawn_main" in line or b"rastro serve" in line:
        return "server"
    return None


def process_cpu(kind_of: Callable[[list[bytes]], str | None]) -> dict[str, float]:
    """CPU time (user + system, and that of their children that ended) used so far by the
    machine's processes (only this run's own once `rastro()` started them), summed by
    `kind_of(command line arguments)`; None skips one."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    own = _own_pids() if _ROOTS else None  # this run's processes only, once known
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or (own is not None and int(entry.name) not in own):
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            kind = kind_of(args)
            if kind is None:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, cutime, cstime
        used = sum(int(v) for v in fields[11:15]) / ticks
        totals[kind] = totals.get(kind, 0.0) + used
    return totals


# The processes this run started, by kind (set by `rastro()`): when known, only their
# process trees are counted, not the other PostgreSQL servers or Rastro servers that other
# jobs run on a shared machine.
_ROOTS: dict[str, int] = {}


def _own_pids() -> dict[int, str]:
    """The processes of the trees in `_ROOTS`, with their kind."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat[1])
    roots = {pid: kind for kind, pid in _ROOTS.items()}
    own: dict[int, str] = {}
    for pid in parents:
        walk = pid
        while walk > 1 and walk not in roots:
            walk = parents.get(walk, 0)
        if walk in roots:
            own[pid] = roots[walk]
    return own


def _own_cpu() -> dict[str, float]:
    """CPU time (as `process_cpu`) of the process trees in `_ROOTS`, by kind."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    for pid, kind in _own_pids().items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        totals[kind] = totals.get(kind, 0.0) + sum(int(v) for v in fields[11:15]) / ticks
    return totals


def cpu_seconds() -> dict[str, float]:
    """CPU time used so far by each kind of process: PostgreSQL, server, job worker, wrk
    (only this run's own processes once `rastro()` has started them)."""
    totals = _own_cpu() if _ROOTS else process_cpu(_role)
    # wrk has ended by the time it is counted: its time is among this process's children.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    totals["wrk"] = children.ru_utime + children.ru_stime
    return totals


def machine_ticks() -> tuple[int, int]:
    """(all CPU time, time stolen by the hypervisor) of the machine so far, in ticks."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields[:8]), fields[7]


def wrk(
    script: Path,
    url: str,
    *,
    duration: int,
    connections: int,
    env: dict[str, str],
    threads: int = 1,
) -> dict:
    """One wrk run; the result also holds the CPU seconds each kind of process used
    (server workers, job worker, PostgreSQL, wrk) during it, and the share of the
    machine's CPU time the hypervisor stole meanwhile (this VM's main source of noise)."""
    before = cpu_seconds()
    total_before, steal_before = machine_ticks()
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            url,
        ],
        env={**os.environ, "BENCH_LUA": str(ROOT / "bench"), **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(row for row in out.splitlines() if row.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    after = cpu_seconds()
    total_after, steal_after = machine_ticks()
    result["steal_pct"] = round(
        100 * (steal_after - steal_before) / max(1, total_after - total_before), 1
    )
    result["cpu_s"] = {k: round(after.get(k, 0.0) - before.get(k, 0.0), 2) for k in after}
    if result["requests"]:
        result["cpu_ms_per_request"] = {
            k: round(1000 * v / result["requests"], 3) for k, v in result["cpu_s"].items()
        }
    return result


@contextmanager
def rastro(
    name: str,
    *,
    port: int,
    workers: int,
    with_worker: bool = False,
    factory: str | None = None,
    server: str = "uvicorn",
) -> Iterator[Running]:
    """`rastro serve --workers N` (and `rastro worker`) on fresh databases under
    bench/results/<name>; yields once the server is ready and a site is registered.
    `factory` ("module:function") serves another app factory instead, with uvicorn's
    options of `rastro serve`; `server="granian"` serves it (default: `rastro serve`'s own
    factory) with granian (ASGI, uvloop) instead of uvicorn."""
    data = RESULTS / name
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "BI_"))},
        "RASTRO_DATA_DIR": str(data),
        "RASTRO_ENV": "development",
        "LOG_LEVEL": "WARNING",
        "RASTRO_PORT": str(port),
        "DB_POOL_SIZE": "20",
    }
    command = [sys.executable, "-m", "rastro"]
    if data.exists():  # a fresh PostgreSQL per run
        if EmbeddedPostgres(data).is_running():
            EmbeddedPostgres(data).stop()
        shutil.rmtree(data)
    subprocess.run([*command, "db", "upgrade"], env=env, check=True, capture_output=True)
    email = f"bench-{int(time.time())}@example.com"
    subprocess.run(
        [
            *command,
            "users",
            "create",
            "--email",
            email,
            "--name",
            "Bench",
            "--organization",
            f"Bench {email}",
            "--password",
            PASSWORD,
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    serve = [*command, "serve", "--workers", str(workers)]
    if factory:
        serve = [
            *(sys.executable, "-m", "uvicorn", factory, "--factory", "--workers", str(workers)),
            *("--host", "127.0.0.1", "--port", str(port), "--proxy-headers", "--lifespan", "on"),
            *("--log-level", "warning", "--no-access-log"),
        ]
    if server == "granian":
        serve = [
            *(sys.executable, "-m", "granian", "--interface", "asgi", "--factory"),
            *("--workers", str(workers), "--loop", "uvloop", "--host", "127.0.0.1"),
            *("--port", str(port), "--log-level", "warning", "--no-access-log"),
            factory or "rastro.app:asgi_from_env",
        ]
    processes = [subprocess.Popen(serve, env=env)]
    _ROOTS["server"] = processes[0].pid
    if with_worker:
        processes.append(subprocess.Popen([*command, "worker"], env=env))
        _ROOTS["job_worker"] = processes[-1].pid
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # a busy shared machine starts it slowly
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        token = httpx.post(
            f"{base}/api/auth/login", json={"email": email, "password": PASSWORD}
        ).json()["access_token"]
        domain = httpx.post(
            f"{base}/api/domains",
            headers={"Authorization": f"Bearer {token}"},
            json={"domain_url": ORIGIN},
        ).json()
        postmaster = (EmbeddedPostgres(data).pgdata / "postmaster.pid").read_text().split()[0]
        _ROOTS["postgres"] = int(postmaster)
        yield Running(base=base, token=token, site_key=domain["site_key"], data=data)
    finally:
        _ROOTS.clear()
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        EmbeddedPostgres(data).stop()


def fresh_postgres(data: Path) -> EmbeddedPostgres:
    """An embedded PostgreSQL started on an empty `data` directory (a server left running
    there by an earlier run is stopped and its files removed first)."""
    if data.exists():
        EmbeddedPostgres(data).stop()
        shutil.rmtree(data)
    server = EmbeddedPostgres(data)
    server.start()
    return server


def write_report(name: str, report: dict) -> Path:
    """bench/results/<name>-<time>.json: the report, after when and on how many cores."""
    report = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count()},
        **report,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{name}-{int(time.time())}.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print(f"\nwritten to {out}")
    return out
