"""Publishes events to S3 (or LocalStack) with boto3."""

from __future__ import annotations

import json
import logging

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from customer_api.shared.outbox import Envelope, PublishError

log = logging.getLogger(__name__)


class S3EventPublisher:
    def __init__(
        self,
        bucket: str,
        *,
        region: str,
        endpoint_url: str | None = None,
        connect_timeout: float = 2.0,
        read_timeout: float = 5.0,
    ) -> None:
        self.bucket = bucket
        config = Config(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            # A couple of quick retries here; the relay's backoff handles longer outages.
            retries={"max_attempts": 2, "mode": "standard"},
            # LocalStack and moto serve buckets by path, not by virtual host.
            s3={"addressing_style": "path"} if endpoint_url else None,
        )
        self._client = boto3.client("s3", region_name=region, endpoint_url=endpoint_url, config=config)

    def publish(self, key: str, envelope: Envelope) -> None:
        body = json.dumps(envelope, separators=(",", ":")).encode()
        try:
            self._client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "ClientError")
            raise PublishError(f"s3://{self.bucket}/{key}: {code}", code=code) from error
        except BotoCoreError as error:
            raise PublishError(f"s3://{self.bucket}/{key}: {error}", code=type(error).__name__) from error

    def check(self) -> None:
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "ClientError")
            raise PublishError(f"bucket {self.bucket}: {code}", code=code) from error
        except BotoCoreError as error:
            raise PublishError(f"S3 unreachable: {error}", code=type(error).__name__) from error
