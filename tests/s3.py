"""moto's S3 server on 127.0.0.1: real HTTP and real boto3, stoppable to play an outage."""

from __future__ import annotations

import socket
from typing import Any

import boto3
from moto.server import ThreadedMotoServer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MotoS3:
    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.running = False

    def start(self) -> None:
        if not self.running:
            self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
            self._server.start()
            self.running = True

    def stop(self) -> None:
        if self.running:
            self._server.stop()
            self.running = False

    def client(self) -> Any:
        return boto3.client("s3", region_name="us-east-1", endpoint_url=self.endpoint)

    def objects(self, bucket: str, prefix: str = "") -> list[dict[str, Any]]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [item for page in pages for item in page.get("Contents", [])]
