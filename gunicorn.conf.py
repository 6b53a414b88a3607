"""gunicorn's settings for the Customer API: `gunicorn -c gunicorn.conf.py "customer_api:create_app()"`.

The environment is read by ``customer_api.config`` as everywhere else (PORT, GUNICORN_WORKERS,
FORWARDED_ALLOW_IPS, LOG_FORMAT, LOG_LEVEL, PROMETHEUS_MULTIPROC_DIR).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gunicorn.glogging import Logger

from customer_api.config import ServerSettings
from customer_api.logs import gunicorn_logconfig

server = ServerSettings.from_env()

bind = f"0.0.0.0:{server.port}"
workers = server.workers
# Sync workers: a slow request holds one worker, never the others (see DESIGN.md, "Scaling out").
worker_class = "sync"
timeout = 30
# On SIGTERM, in-flight requests get this long to finish before their worker is killed.
graceful_timeout = 30
keepalive = 5
# Replace each worker after about twenty thousand requests, not all at once, so no leak can grow for
# long. Not much sooner: a new worker builds the app again and, at its first login, the decoy password
# hash (about 0.2 s of CPU together) while requests queue; at 1000, under load, that cost a third of the
# requests a second and put the p99 of a cached read at 200-800 ms instead of 70 (bench/, README
# "Benchmark").
max_requests = 20_000
max_requests_jitter = 2_000
# X-Forwarded-Proto and the like are believed only from these addresses (the load balancer's).
forwarded_allow_ips = server.forwarded_allow_ips
# The workers' heartbeat files: in memory, so a slow or full disk cannot get healthy workers killed
# (as gunicorn's documentation advises for containers).
SHARED_MEMORY = Path("/dev/shm")  # noqa: S108 - heartbeats, not secrets
worker_tmp_dir = str(SHARED_MEMORY) if SHARED_MEMORY.is_dir() else None
# The app writes one access line per request itself, with its request id and user.
accesslog = None
logconfig_dict = gunicorn_logconfig(server.log_format, server.log_level)


class WithoutAccessLog(Logger):
    """gunicorn's logger, minus its access log: with a logconfig_dict gunicorn would otherwise build
    every request's access fields (about 2% of a cached read) only for the logger to drop them."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        return None


logger_class = WithoutAccessLog


def on_starting(_server: Any) -> None:
    """Start every run with empty metric files: the counts of a previous run are not this one's."""
    if server.prometheus_multiproc_dir:
        directory = Path(server.prometheus_multiproc_dir)
        directory.mkdir(parents=True, exist_ok=True)
        for path in directory.glob("*.db"):
            path.unlink()


def child_exit(_server: Any, worker: Any) -> None:
    """A dead worker's counters stay in the sums (counters never go backwards); its live gauges go."""
    if server.prometheus_multiproc_dir:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, server.prometheus_multiproc_dir)


def worker_exit(_server: Any, worker: Any) -> None:
    """In the worker, once its in-flight requests are done: let the relay finish its batch."""
    app = getattr(worker, "wsgi", None)
    services = getattr(app, "extensions", {}).get("customer_api")
    if services is not None:
        services.relay.stop()
