"""Load benchmark: the service under gunicorn, driven over HTTP by wrk from loopback, against a
baseline Flask app doing the same storage work with nothing around it (bench/baseline.py).

    make bench                      # embedded defaults (SQLite, memory cache)
    BENCH_DATABASE_URL=mysql+pymysql://root@127.0.0.1:3306/customer_api_bench \\
    BENCH_REDIS_URL=redis://127.0.0.1:6379/12 make bench

Three servers run one after the other, each under gunicorn.conf.py with the same workers (as many as
it would deploy, 2 * CPUs + 1 by default; BENCH_WORKERS to change): the
service with its cache (Redis when BENCH_REDIS_URL is given, memory otherwise), the service with
CACHE_PROVIDER=none, and the baseline. The first seeds BENCH_CUSTOMERS customers through the API.
Every scenario warms up for 2 s, then wrk runs BENCH_SECONDS with BENCH_CONNECTIONS connections;
BENCH_SCENARIOS (keys, comma-separated) picks some of them;
BENCH_GUNICORN_ARGS adds gunicorn flags to all three servers. Rate limits stay on, with limits too high
to trip. Results: a Markdown table on stdout and JSON in bench/results/.
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from customer_api.config import ServerSettings

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
WARM_UP_SECONDS = 2
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "200"))
# As deployed: what gunicorn.conf.py would run (GUNICORN_WORKERS, or 2 * CPUs + 1), unless BENCH_WORKERS.
WORKERS = int(os.environ.get("BENCH_WORKERS") or ServerSettings.from_env().workers)
# Extra gunicorn flags for experiments, e.g. "--max-requests 0"; given to the baseline as well.
GUNICORN_ARGS = os.environ.get("BENCH_GUNICORN_ARGS", "").split()
PASSWORD = "bench-password-1"
BENCH_USER = "bench@example.com"
# Rate limits stay on (where the service has them), too high for the benchmark to trip.
HIGH_LIMITS = {
    "RATE_LIMIT_ENABLED": "true",
    "RATE_LIMIT_ADMIN": "1000000/minute",
    "RATE_LIMIT_DEFAULT": "1000000/minute",
    "RATE_LIMIT_LOGIN": "1000/minute",
    "RATE_LIMIT_LOGIN_EMAIL": "1000/minute",
}
# The targets: the ratio to the baseline, and for the cached read a p99 in ms.
TARGETS = {"get": (0.6, 25.0), "post": (0.5, None)}


@dataclass(frozen=True)
class Scenario:
    key: str
    name: str
    server: str  # "cached", "uncached" or "baseline"
    script: str
    kind: str  # "read" or "insert": which of the baseline's figures it is compared with


SCENARIOS = [
    Scenario("get", "GET /v1/customers/<id>, cached", "cached", "get_by_id.lua", "read"),
    Scenario("list", "GET /v1/customers?limit=50", "cached", "list.lua", "read"),
    Scenario("post", "POST /v1/customers", "cached", "post.lua", "insert"),
    Scenario("patch", "PATCH /v1/customers/<id>", "cached", "patch.lua", "insert"),
    Scenario("get-nocache", "GET /v1/customers/<id>, no cache", "uncached", "get_by_id.lua", "read"),
    Scenario("baseline-read", "baseline: SELECT by primary key", "baseline", "get_by_id.lua", "read"),
    Scenario("baseline-insert", "baseline: INSERT", "baseline", "post.lua", "insert"),
]
BASELINE_OF = {"read": "baseline-read", "insert": "baseline-insert"}


@dataclass
class Result:
    key: str
    scenario: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    non_2xx: int
    worker_rss_mib: float
    # The workers' CPU time per request: less at the mercy of other load on the machine than req/s.
    cpu_ms_per_request: float
    ratio: float | None = None  # to the baseline's read or insert, as ``compared_with`` says
    compared_with: str | None = None


@dataclass(frozen=True)
class Server:
    base: str
    pid: int
    token: str


def main() -> None:
    database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    redis_url = os.environ.get("BENCH_REDIS_URL")
    wanted = {key.strip() for key in os.environ.get("BENCH_SCENARIOS", "").split(",") if key.strip()}
    # The baselines always run: every other figure is a ratio to them.
    chosen = [s for s in SCENARIOS if not wanted or s.key in wanted or s.server == "baseline"]
    cached: dict[str, str | None] = {"CACHE_PROVIDER": "redis" if redis_url else "memory"}
    cached["REDIS_URL"] = redis_url
    uncached: dict[str, str | None] = {"CACHE_PROVIDER": "none"}
    ids: list[str] = []
    results: list[Result] = []
    for server_kind, extra in (("cached", cached), ("uncached", uncached), ("baseline", {})):
        scenarios = [s for s in chosen if s.server == server_kind]
        if not scenarios:
            continue
        with serving(server_kind, database_url, extra) as server:
            if not ids:
                ids = seed(server)
            results += [measure(server, scenario, ids) for scenario in scenarios]
    compare(results)
    report(results, database_url, redis_url)


@contextmanager
def serving(kind: str, database_url: str, extra: dict[str, str | None]) -> Iterator[Server]:
    """gunicorn with the repository's gunicorn.conf.py (as deployed), on a free loopback port."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BENCH_DATABASE_URL": database_url,
        "JWT_SECRET_KEY": "bench-secret-bench-secret-bench-secret-42",
        "EVENT_RELAY": "off",
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        **HIGH_LIMITS,
        **{key: value for key, value in extra.items() if value},
    }
    app = "bench.baseline:app" if kind == "baseline" else "customer_api:create_app()"
    if kind != "baseline":
        flask = [str(BIN / "flask"), "--app", "customer_api"]
        quietly([*flask, "db", "upgrade"], env)
        quietly([*flask, "users", "create", BENCH_USER, "--password", PASSWORD, "--role", "admin"], env)
    command = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), *GUNICORN_ARGS, app]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base)
        yield Server(base, server.pid, "" if kind == "baseline" else login(base))
    finally:
        server.terminate()
        server.wait(30)


def quietly(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(command[1:4])} failed:\n{done.stderr}")


def measure(server: Server, scenario: Scenario, ids: list[str]) -> Result:
    ids_file = Path(tempfile.mkstemp(suffix=".lua")[1])
    ids_file.write_text("ids = {" + ",".join(f'"{i}"' for i in ids) + "}\n")
    script = str(BENCH / scenario.script)

    def run(seconds: int) -> str:
        env = {
            **os.environ,
            "TOKEN": server.token,
            "BENCH_IDS": str(ids_file),
            "BENCH_RUN": str(time.time_ns()),
        }
        return wrk(server.base, script, env, seconds=seconds)

    run(WARM_UP_SECONDS)  # caches, connection pools, lazy imports
    cpu_before = workers_cpu_seconds(server.pid)
    output = run(SECONDS)
    cpu = workers_cpu_seconds(server.pid) - cpu_before
    result = parse(scenario, output, worker_rss_mib(server.pid), cpu)
    ids_file.unlink()
    print(
        f"  {scenario.name}: {result.requests_per_second:.0f} req/s, p99 {result.p99_ms:.1f} ms, "
        f"{result.cpu_ms_per_request:.2f} CPU ms/request",
        file=sys.stderr,
    )
    return result


def wrk(base: str, script: str, env: dict[str, str], *, seconds: int) -> str:
    command = ["wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--latency", "-s", script, base]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout


def parse(scenario: Scenario, output: str, rss_mib: float, cpu_seconds: float) -> Result:
    def number(pattern: str) -> float:
        found = re.search(pattern, output)
        return float(found.group(1)) if found else 0.0

    def latency_ms(percentile: str) -> float:
        found = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if not found:
            return 0.0
        value, unit = float(found.group(1)), found.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    requests = number(r"(\d+) requests in ")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return Result(
        key=scenario.key,
        scenario=scenario.name,
        requests_per_second=number(r"Requests/sec:\s+([\d.]+)"),
        p50_ms=latency_ms("50"),
        p99_ms=latency_ms("99"),
        errors=sum(int(n) for n in errors.groups()) if errors else 0,
        non_2xx=int(number(r"Non-2xx or 3xx responses:\s+(\d+)")),
        worker_rss_mib=rss_mib,
        cpu_ms_per_request=round(cpu_seconds * 1000 / requests, 2) if requests else 0.0,
    )


def workers(master_pid: int) -> list[tuple[Path, list[str]]]:
    """The gunicorn workers (children of the master): each one's /proc directory and stat fields
    after the command (fields[0] is the state, fields[1] the parent pid)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command may hold spaces and parentheses: the fields follow the last ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == str(master_pid):
            found.append((stat.parent, fields))
    return found


def worker_rss_mib(master_pid: int) -> float:
    """The resident size (VmRSS) of the largest worker right now."""
    sizes = []
    for directory, _ in workers(master_pid):
        try:
            found = re.search(r"^VmRSS:\s+(\d+) kB", (directory / "status").read_text(), re.M)
        except OSError:
            continue
        if found:
            sizes.append(int(found.group(1)) / 1024)
    return round(max(sizes, default=0.0), 1)


def workers_cpu_seconds(master_pid: int) -> float:
    """CPU time (user + system) of the workers so far: the live ones' own, plus the dead ones' the
    master has reaped (its children's times), so that a worker replaced mid-run still counts."""
    ticks = os.sysconf("SC_CLK_TCK")
    master = Path(f"/proc/{master_pid}/stat").read_text().rsplit(")", 1)[1].split()
    reaped = int(master[13]) + int(master[14])  # cutime, cstime
    live = sum(int(fields[11]) + int(fields[12]) for _, fields in workers(master_pid))  # utime, stime
    return (reaped + live) / ticks


def compare(results: list[Result]) -> None:
    by_key = {r.key: r for r in results}
    for result in results:
        baseline = by_key.get(BASELINE_OF[next(s.kind for s in SCENARIOS if s.key == result.key)])
        if baseline is not None and baseline.requests_per_second:
            result.ratio = round(result.requests_per_second / baseline.requests_per_second, 2)
            result.compared_with = baseline.key


def login(base: str) -> str:
    return str(post(base, "/v1/auth/login", {"email": BENCH_USER, "password": PASSWORD}, {})["access_token"])


def seed(server: Server) -> list[str]:
    headers = {"Authorization": f"Bearer {server.token}"}
    stamp = time.time_ns()
    return [
        str(
            post(
                server.base,
                "/v1/customers",
                {"name": f"Bench {n}", "email": f"b{stamp}-{n}@example.com"},
                headers,
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


def revision() -> str:
    """The commit measured, "+changes" when src/ differs from it."""

    def git(*args: str) -> str:
        found = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)  # noqa: S607
        return found.stdout.strip()

    try:
        return git("rev-parse", "--short", "HEAD") + (
            "+changes" if git("status", "--porcelain", "src") else ""
        )
    except OSError:
        return "unknown"


def target(result: Result) -> str:
    if result.key not in TARGETS:
        return ""
    ratio, p99 = TARGETS[result.key]
    met = (result.ratio or 0) >= ratio and (p99 is None or result.p99_ms < p99)
    wanted = f">= {ratio}x" + (f", p99 < {p99:.0f} ms" if p99 else "")
    return f"{wanted}: {'met' if met else 'missed'}"


def report(results: list[Result], database_url: str, redis_url: str | None) -> None:
    machine = {
        "cpus": os.cpu_count(),
        "workers": WORKERS,
        "connections": CONNECTIONS,
        "seconds": SECONDS,
        "customers": CUSTOMERS,
        "revision": revision(),
    }
    backends = {"database": database_url.split(":", 1)[0], "redis": bool(redis_url)}
    lines = [
        f"{machine['cpus']} CPUs, gunicorn {WORKERS} sync workers (gunicorn.conf.py), "
        f"wrk {CONNECTIONS} connections for {SECONDS} s; database {backends['database']}, "
        f"Redis {'yes' if redis_url else 'no'}; revision {machine['revision']}",
        "",
        "| scenario | req/s | ratio | p50 ms | p99 ms | errors | non-2xx | CPU ms/req | worker RSS MiB "
        "| target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        name = r.scenario.replace("<", "&lt;").replace(">", "&gt;")
        ratio = f"{r.ratio:.2f}x {'read' if r.compared_with == 'baseline-read' else 'insert'}"
        lines.append(
            f"| {name} | {r.requests_per_second:.0f} | {ratio if r.ratio else '-'} | {r.p50_ms:.1f} "
            f"| {r.p99_ms:.1f} | {r.errors} | {r.non_2xx} | {r.cpu_ms_per_request:.2f} "
            f"| {r.worker_rss_mib:.0f} | {target(r)} |"
        )
    print("\n".join(lines))
    out = BENCH / "results" / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps({**machine, **backends, "results": [asdict(r) for r in results]}, indent=2) + "\n"
    )
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
