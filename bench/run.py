"""Load benchmark: the service under gunicorn, driven over HTTP by wrk from loopback.

    make bench                      # embedded defaults (SQLite, memory cache)
    BENCH_DATABASE_URL=mysql+pymysql://root@127.0.0.1:3306/customer_api_bench \\
    BENCH_REDIS_URL=redis://127.0.0.1:6379/12 make bench

Each scenario starts its own gunicorn on a free port, seeds customers through the API, warms up,
then runs wrk for BENCH_SECONDS. Results: a Markdown table on stdout and JSON in bench/results/.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "200"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 2)))
PASSWORD = "bench-password-1"


@dataclass
class Result:
    scenario: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    non_2xx: int


def main() -> None:
    database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    redis_url = os.environ.get("BENCH_REDIS_URL")
    cached = (
        {"CACHE_PROVIDER": "redis", "REDIS_URL": redis_url} if redis_url else {"CACHE_PROVIDER": "memory"}
    )
    scenarios = [
        ("GET /v1/customers/<id>, cached", cached),
        ("GET /v1/customers/<id>, no cache", {"CACHE_PROVIDER": "none"}),
    ]
    results = [run_scenario(name, database_url, extra) for name, extra in scenarios]
    report(results, database_url, redis_url)


def run_scenario(name: str, database_url: str, extra: dict[str, str | None]) -> Result:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "JWT_SECRET_KEY": "bench-secret-bench-secret-bench-secret-42",
        "EVENT_RELAY": "off",
        "LOG_LEVEL": "WARNING",
        **{key: value for key, value in extra.items() if value},
    }
    flask = [str(BIN / "flask"), "--app", "customer_api"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [*flask, "users", "create", "bench@example.com", "--password", PASSWORD, "--role", "admin"],
        env=env,
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
            "customer_api:create_app()",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base)
        token = login(base)
        ids = seed(base, token)
        ids_file = Path(tempfile.mkstemp(suffix=".lua")[1])
        ids_file.write_text("ids = {" + ",".join(f'"{i}"' for i in ids) + "}\n")
        wrk_env = {**os.environ, "TOKEN": token, "BENCH_IDS": str(ids_file)}
        script = str(ROOT / "bench" / "get_by_id.lua")
        wrk(base, script, wrk_env, seconds=2)  # warm-up: caches, connection pools, imports
        return parse(name, wrk(base, script, wrk_env, seconds=SECONDS))
    finally:
        server.terminate()
        server.wait(10)


def wrk(base: str, script: str, env: dict[str, str], *, seconds: int) -> str:
    command = ["wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--latency", "-s", script, base]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout


def parse(name: str, output: str) -> Result:
    def number(pattern: str) -> float:
        found = re.search(pattern, output)
        return float(found.group(1)) if found else 0.0

    def latency_ms(percentile: str) -> float:
        found = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if not found:
            return 0.0
        value, unit = float(found.group(1)), found.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return Result(
        scenario=name,
        requests_per_second=number(r"Requests/sec:\s+([\d.]+)"),
        p50_ms=latency_ms("50"),
        p99_ms=latency_ms("99"),
        errors=sum(int(n) for n in errors.groups()) if errors else 0,
        non_2xx=int(number(r"Non-2xx or 3xx responses:\s+(\d+)")),
    )


def login(base: str) -> str:
    body = {"email": "bench@example.com", "password": PASSWORD}
    return str(post(base, "/v1/auth/login", body, {})["access_token"])


def seed(base: str, token: str) -> list[str]:
    headers = {"Authorization": f"Bearer {token}"}
    stamp = time.time_ns()
    return [
        str(
            post(
                base, "/v1/customers", {"name": f"Bench {n}", "email": f"b{stamp}-{n}@example.com"}, headers
            )["id"]
        )
        for n in range(CUSTOMERS)
    ]


def post(base: str, path: str, body: dict[str, str], headers: dict[str, str]) -> dict[str, object]:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.load(response))


def wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/health", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not come up at {base}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def report(results: list[Result], database_url: str, redis_url: str | None) -> None:
    machine = {"cpus": os.cpu_count(), "workers": WORKERS, "connections": CONNECTIONS, "seconds": SECONDS}
    backends = {"database": database_url.split(":", 1)[0], "redis": bool(redis_url)}
    lines = [
        f"{machine['cpus']} CPUs, gunicorn {WORKERS} sync workers, wrk {CONNECTIONS} connections "
        f"for {SECONDS} s; database {backends['database']}, Redis {'yes' if redis_url else 'no'}",
        "",
        "| scenario | req/s | p50 ms | p99 ms | errors | non-2xx |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.scenario} | {r.requests_per_second:.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} "
        f"| {r.errors} | {r.non_2xx} |"
        for r in results
    ]
    print("\n".join(lines))
    out = ROOT / "bench" / "results" / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({**machine, **backends, "results": [asdict(r) for r in results]}, indent=2))
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
