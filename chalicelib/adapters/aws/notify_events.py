"""The NotifyEvents port on SQS: the notify queue (template.yaml `NotifyQueue`).

    {"soort": "leveranciers", "berichten": [{"leverancier": ..., "bericht": SupplierMessage}, ...]}
    {"soort": "run_gepubliceerd", "run_id": ..., "as_of": ..., "publish": PublishedRun}  (the workflow)

A case event carries up to `_PER_MESSAGE` supplier messages (about 300 bytes each, well under
SQS's 256 KiB), sent ten queue messages to a batch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from chalicelib.domain.casework import SupplierMessage

SUPPLIERS = "leveranciers"
RUN_PUBLISHED = "run_gepubliceerd"
DAILY = "dagelijks"
_PER_MESSAGE = 100
_PER_BATCH = 10


class SqsNotifyEvents:
    def __init__(self, sqs, queue_url: str) -> None:
        self._sqs = sqs
        self._url = queue_url

    def suppliers_told(self, messages: Sequence[tuple[str, SupplierMessage]]) -> int:
        bodies = [
            json.dumps(
                {
                    "soort": SUPPLIERS,
                    "berichten": [
                        {"leverancier": leverancier, "bericht": message.model_dump(mode="json")}
                        for leverancier, message in messages[start : start + _PER_MESSAGE]
                    ],
                }
            )
            for start in range(0, len(messages), _PER_MESSAGE)
        ]
        for start in range(0, len(bodies), _PER_BATCH):
            chunk = bodies[start : start + _PER_BATCH]
            response = self._sqs.send_message_batch(
                QueueUrl=self._url, Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk)]
            )
            if response.get("Failed"):
                raise RuntimeError(f"notify queue refused {len(response['Failed'])} of {len(chunk)} messages")
        return len(bodies)
