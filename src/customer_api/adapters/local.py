"""Embedded defaults that need no server: events as JSON files under ``var/events/``."""

from __future__ import annotations

import json
import os
from pathlib import Path

from customer_api.shared.outbox import Envelope, PublishError


class FileEventPublisher:
    """The same keys as the S3 publisher, as paths under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def publish(self, key: str, envelope: Envelope) -> None:
        path = self.root / key
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename: a reader never sees half a file, and a retry overwrites whole.
            partial = path.with_suffix(".json.partial")
            partial.write_text(json.dumps(envelope, indent=2))
            os.replace(partial, path)
        except OSError as error:
            raise PublishError(f"cannot write {path}: {error}", code=type(error).__name__) from error

    def check(self) -> None:
        if self.root.exists() and not os.access(self.root, os.W_OK):
            raise PublishError(f"{self.root} is not writable", code="PermissionError")
