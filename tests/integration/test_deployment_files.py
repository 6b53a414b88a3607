"""docker-compose.yml and the Dockerfile say what the README promises. No container engine runs here,
so the compose file is read as YAML, and checked by `docker-compose config` where that exists."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import yaml

from customer_api.config import PROJECT_ROOT

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


def test_every_service_has_an_image_or_a_build(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) >= {"api", "relay", "mysql", "redis", "localstack"}
    for name, service in compose["services"].items():
        assert "image" in service or "build" in service, name


@pytest.mark.parametrize("name", ["mysql", "redis", "localstack"])
def test_each_backing_service_has_a_healthcheck(compose: dict[str, Any], name: str) -> None:
    check = compose["services"][name]["healthcheck"]
    assert check["test"][0] in ("CMD", "CMD-SHELL")
    assert check["interval"]
    assert check["retries"] > 0


@pytest.mark.parametrize("name", ["api", "relay"])
def test_the_service_waits_for_healthy_dependencies(compose: dict[str, Any], name: str) -> None:
    depends_on = compose["services"][name]["depends_on"]
    assert depends_on, name
    assert {dependency["condition"] for dependency in depends_on.values()} == {"service_healthy"}


def test_the_api_listens_on_5000_and_leaves_relaying_to_the_relay(compose: dict[str, Any]) -> None:
    api, relay = compose["services"]["api"], compose["services"]["relay"]
    assert "5000:5000" in api["ports"]
    assert api["environment"]["EVENT_RELAY"] == "off"
    assert relay["command"][-2:] == ["events", "relay"]


def test_localstack_is_pinned_to_4_14_and_makes_the_bucket(compose: dict[str, Any]) -> None:
    localstack = compose["services"]["localstack"]
    assert localstack["image"] == "localstack/localstack:4.14"
    assert "4566:4566" in localstack["ports"]
    assert any("/etc/localstack/init/ready.d/" in volume for volume in localstack["volumes"])


def test_docker_compose_accepts_the_file() -> None:
    """The real parser, where this machine has it (CI's docker job runs `docker compose config` too)."""
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.skip("docker-compose is not installed here")
    result = subprocess.run(  # noqa: S603 - a fixed command on our own file
        [compose, "-f", str(COMPOSE_FILE), "config", "-q"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_image_migrates_then_runs_gunicorn_with_its_config_as_a_non_root_user() -> None:
    lines = [line.strip() for line in (PROJECT_ROOT / "Dockerfile").read_text().splitlines()]
    final_stage = lines[max(i for i, line in enumerate(lines) if line.startswith("FROM ")) :]
    command = [line for line in final_stage if line.startswith("CMD ")][-1]  # not HEALTHCHECK's
    assert command.index("db upgrade") < command.index("gunicorn -c gunicorn.conf.py")
    assert "migrate" not in command.replace("upgrade", "")  # never autogenerates a migration
    assert any(line.startswith("USER 10001") for line in final_stage)
    assert any(line.startswith("HEALTHCHECK ") for line in final_stage)
    assert any(line.startswith("COPY gunicorn.conf.py") for line in final_stage)


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def healthcheck_command() -> list[str]:
    text = (PROJECT_ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith("HEALTHCHECK "))
    command: list[str] = json.loads(line[line.index("CMD ") + 4 :])
    return [sys.executable, *command[1:]]  # this interpreter stands for the image's python


def test_the_image_healthcheck_probes_the_port_gunicorn_serves(health_server: int) -> None:
    def probe(port: int) -> int:
        environment = {"PORT": str(port), "PYTHONPATH": str(PROJECT_ROOT / "src")}
        command = healthcheck_command()  # the Dockerfile's own, run as the image would
        return subprocess.run(command, env=environment, capture_output=True, check=False).returncode  # noqa: S603

    assert probe(health_server) == 0
    with socket.socket() as unused:  # a port where nothing listens
        unused.bind(("127.0.0.1", 0))
        free = unused.getsockname()[1]
    assert probe(free) != 0
