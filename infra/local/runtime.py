"""The local Lambda runtime: polls the template's SQS event sources and calls the handlers.

moto cannot run Lambda code without Docker, so this stands in for Lambda's SQS event source
mapping: same queue, batch size and `ReportBatchItemFailures` semantics as template.yaml wires
them, Lambda-shaped events and a small LambdaContext.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from chalicelib import bootstrap
from infra.local.stack import LocalStack
from infra.template import function_properties, resources_of_type

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], Any]
_RECEIVE_LIMIT = 10  # SQS returns at most ten messages per ReceiveMessage
# Replaying a past month (`vindplaats run --as-of`, the demo): the day uploads are taken to arrive.
# Only this runtime reads it; the functions never see a replay.
REPLAY_DATE = "VINDPLAATS_VANDAAG"
_AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class Invocation(NamedTuple):
    """A function's handler running on a local stack: whose role its AWS calls would use."""

    function: str
    stack: LocalStack


# Set while a handler runs (in the thread that runs it); tests attribute AWS calls with it.
RUNNING: ContextVar[Invocation | None] = ContextVar("vindplaats_running_function", default=None)


@contextmanager
def running(function: str, stack: LocalStack) -> Iterator[None]:
    """Mark the calls made in this block as `function`'s."""
    token = RUNNING.set(Invocation(function, stack))
    try:
        yield
    finally:
        RUNNING.reset(token)


class SqsEventSource(NamedTuple):
    """One SQS event of a function in template.yaml, as the runtime wires it."""

    function: str
    queue: str
    handler_file: Path  # relative to the template's directory
    handler_attr: str
    batch_size: int
    report_batch_item_failures: bool


def sqs_event_sources(body: Mapping[str, Any]) -> list[SqsEventSource]:
    """Every enabled SQS event of every AWS::Serverless::Function, in template order."""
    wiring = []
    for function in resources_of_type(body, "AWS::Serverless::Function"):
        props = function_properties(body, function)
        module, _, attr = props["Handler"].rpartition(".")
        handler_file = Path(props["CodeUri"]) / (module.replace(".", "/") + ".py")
        for event in props.get("Events", {}).values():
            if event.get("Type") != "SQS":
                continue
            event_props = event["Properties"]
            if event_props.get("Enabled") is False:
                continue
            wiring.append(
                SqsEventSource(
                    function=function,
                    queue=_queue_logical_id(event_props["Queue"]),
                    handler_file=handler_file,
                    handler_attr=attr,
                    batch_size=int(event_props.get("BatchSize", 10)),
                    report_batch_item_failures="ReportBatchItemFailures"
                    in event_props.get("FunctionResponseTypes", []),
                )
            )
    return wiring


def _direct(body: Mapping[str, Any], function: str) -> SqsEventSource:
    """A function without a queue (a workflow step), invoked directly."""
    props = function_properties(body, function)
    module, _, attr = props["Handler"].rpartition(".")
    handler_file = Path(props["CodeUri"]) / (module.replace(".", "/") + ".py")
    return SqsEventSource(function, "", handler_file, attr, 1, False)


def _queue_logical_id(queue: Any) -> str:
    if isinstance(queue, dict) and "Fn::GetAtt" in queue:
        target = queue["Fn::GetAtt"]
        return target[0] if isinstance(target, list) else target.split(".", 1)[0]
    raise ValueError(f"SQS event Queue must be !GetAtt <Queue>.Arn, got {queue!r}")


@dataclass
class LambdaContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


class LocalRuntime:
    """Runs the handlers of template.yaml's SQS-triggered functions against a LocalStack.

    `overrides` maps a function's logical id to a callable handler, or to a .py file whose
    attribute named by the template's Handler is the handler (both for tests).
    """

    def __init__(
        self,
        stack: LocalStack,
        *,
        overrides: Mapping[str, Handler | os.PathLike[str] | str] | None = None,
        wait_time_seconds: int = 1,
    ) -> None:
        self.stack = stack
        self.wiring = sqs_event_sources(stack.body)
        self.wait_time_seconds = wait_time_seconds
        self.invocations = 0
        self._overrides = dict(overrides or {})
        self._handlers: dict[str, Handler] = {}
        self._sqs = stack.client("sqs")
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ driving

    def poll_once(self, wait_time_seconds: int | None = None) -> int:
        """Receive one batch from every wired queue and invoke its function; the batches handled."""
        wait = self.wait_time_seconds if wait_time_seconds is None else wait_time_seconds
        handled = 0
        for source in self.wiring:
            messages = self._receive(source, wait)
            if messages:
                self._invoke(source, messages)
                handled += 1
        return handled

    def invoke(self, function: str, event: Mapping[str, Any]) -> Any:
        """Call one function's handler with `event`, as `sam local invoke` would; deletes nothing."""
        source = next((s for s in self.wiring if s.function == function), None) or _direct(self.stack.body, function)
        with self._lock, environ(self.stack.env(source.function)), running(source.function, self.stack):
            self.invocations += 1
            return self._handler(source)(event, self._context(source.function))

    def run_until_idle(self, timeout: float = 30.0) -> int:
        """Poll until every wired queue is empty with nothing in flight; the batches handled.

        A message whose handler failed stays in flight for the queue's visibility timeout, so
        lower it (LocalStack's `queue_visibility_timeout`) when failures are expected.
        Raises TimeoutError when the queues are still busy after `timeout` seconds.
        """
        deadline = time.monotonic() + timeout
        handled = 0
        while True:
            batches = self.poll_once(wait_time_seconds=0)
            handled += batches
            if not batches:
                # Twice, a moment apart: moto counts visible and in-flight messages one after the
                # other, so a message whose visibility ends in between is in neither count once.
                if self.idle():
                    time.sleep(0.1)
                    if self.idle():
                        return handled
                if time.monotonic() > deadline:
                    raise TimeoutError(f"queues still busy after {timeout} s")
                time.sleep(0.1)

    def idle(self) -> bool:
        """True when no wired queue holds a visible, delayed or in-flight message."""
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        for queue in {source.queue for source in self.wiring}:
            attributes = self._sqs.get_queue_attributes(QueueUrl=self.stack.ref(queue), AttributeNames=names)[
                "Attributes"
            ]
            if any(int(attributes.get(name, 0)) for name in names):
                return False
        return True

    def start(self) -> LocalRuntime:
        """Poll in a background thread until `stop()`."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="local-runtime", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.poll_once():
                    self._stop.wait(0.05)
            except Exception:  # the poller must outlive a bad batch or a hiccup
                logger.exception("local runtime poll failed")
                self._stop.wait(1)

    # ------------------------------------------------------------------ one batch

    def _receive(self, source: SqsEventSource, wait: int) -> list[dict[str, Any]]:
        url = self.stack.ref(source.queue)
        messages: list[dict[str, Any]] = []
        while len(messages) < source.batch_size:
            response = self._sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(_RECEIVE_LIMIT, source.batch_size - len(messages)),
                WaitTimeSeconds=wait if not messages else 0,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received = response.get("Messages", [])
            if not received:
                break
            messages += received
        return messages

    def _invoke(self, source: SqsEventSource, messages: list[dict[str, Any]]) -> None:
        queue_arn = self.stack.attribute(source.queue, "Arn")
        environment = self.stack.env(source.function)
        replay = environment.get(REPLAY_DATE)
        event = {"Records": [_record(m, queue_arn, self.stack.region, replay) for m in messages]}
        context = self._context(source.function)
        with self._lock, environ(environment), running(source.function, self.stack):
            handler = self._handler(source)
            self.invocations += 1
            try:
                response = handler(event, context)
            except Exception:
                logger.exception("%s failed a batch of %d; nothing deleted", source.function, len(messages))
                return
        failed = _failed_ids(response, messages) if source.report_batch_item_failures else set()
        done = [m for m in messages if m["MessageId"] not in failed]
        self._delete(source, done)
        logger.info(
            "%s handled %d messages, %d failed",
            source.function,
            len(messages),
            len(messages) - len(done),
        )

    def _delete(self, source: SqsEventSource, messages: list[dict[str, Any]]) -> None:
        url = self.stack.ref(source.queue)
        for start in range(0, len(messages), _RECEIVE_LIMIT):
            chunk = messages[start : start + _RECEIVE_LIMIT]
            self._sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )

    def _context(self, function: str) -> LambdaContext:
        props = function_properties(self.stack.body, function)
        name = props.get("FunctionName") or f"{self.stack.stack_name}-{function}"
        return LambdaContext(
            function_name=name,
            memory_limit_in_mb=int(props.get("MemorySize", 128)),
            invoked_function_arn=(f"arn:aws:lambda:{self.stack.region}:{self.stack.account_id}:function:{name}"),
            timeout_seconds=int(props.get("Timeout", 3)),
        )

    def _handler(self, source: SqsEventSource) -> Handler:
        """The function's handler, imported on first use (its cold start) with its env set."""
        if source.function in self._handlers:
            return self._handlers[source.function]
        # Settings and clients are cached per process (a Lambda's cold start); another stack's
        # names and endpoint may be in them, so a new function start clears them.
        bootstrap.reset()
        override = self._overrides.get(source.function)
        if callable(override):
            handler = override
        else:
            path = Path(override) if override is not None else (self.stack.template_path.parent / source.handler_file)
            handler = getattr(_import_file(path, source.function), source.handler_attr)
        self._handlers[source.function] = handler
        return handler


def _import_file(path: Path, function: str) -> Any:
    """Import `path` under a module name of its own, with its folder importable as in Lambda."""
    name = f"_vindplaats_local_{function}_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load handler file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    finally:
        sys.path.remove(str(path.parent))
    return module


def _record(message: Mapping[str, Any], queue_arn: str, region: str, replay: str | None = None) -> dict[str, Any]:
    """An SQS message as Lambda's event source mapping puts it in `event["Records"]`; when
    replaying a past month, the S3 events in it dated that day."""
    body = message.get("Body", "")
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": body if replay is None else _replayed(body, date.fromisoformat(replay)),
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def _replayed(body: str, day: date) -> str:
    """The S3 notification in `body` with each event's time moved to `day` in the Netherlands
    (the time of day kept), as if the file had been uploaded then; anything else as it is."""
    try:
        notification = json.loads(body)
        for record in notification["Records"]:
            sent = datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00")).astimezone(_AMSTERDAM)
            moved = datetime.combine(day, sent.timetz()).astimezone(UTC)
            record["eventTime"] = moved.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    except (ValueError, KeyError, TypeError):
        return body
    return json.dumps(notification)


def _message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    binary = value.get("BinaryValue")
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": base64.b64encode(binary).decode() if binary is not None else None,
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": [base64.b64encode(item).decode() for item in value.get("BinaryListValues", [])],
        "dataType": value["DataType"],
    }


def _failed_ids(response: Any, messages: list[dict[str, Any]]) -> set[str]:
    """Message ids to keep, by Lambda's rules for a `batchItemFailures` response.

    No response, or an empty or null list, is full success; a malformed response or an
    identifier that is empty or not in the batch fails the whole batch.
    """
    everything = {m["MessageId"] for m in messages}
    if response is None:
        return set()
    if not isinstance(response, dict):
        return everything
    failures = response.get("batchItemFailures")
    if not failures:
        return set()
    if not isinstance(failures, list):
        return everything
    ids = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in everything:
            return everything
        ids.add(identifier)
    return ids


@contextmanager
def environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set `values` in os.environ for the duration, then restore what was there."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
