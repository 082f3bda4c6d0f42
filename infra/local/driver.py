"""The local Step Functions: runs a state machine's ASL with local callables behind its Tasks.

moto can execute ASL, but its Lambda tasks only echo (architecture.md, "Local stack"), so this
driver walks the same definition template.yaml deploys: StartAt, Next/End, InputPath,
Parameters, ResultSelector, ResultPath, OutputPath, Retry and Catch, with the JSONPath subset the
workflow uses (`$`, `$.a.b`, `$$.Execution.Name`) and the `States.Format` intrinsic. Each Task
is keyed by `task_key`: the FunctionName of a `lambda:invoke` Task, otherwise its Resource.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from copy import deepcopy
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.template import PROJECT_ROOT, Resolver, resources_of_type

if TYPE_CHECKING:
    from infra.local.athena import LocalAthena
    from infra.local.stack import LocalStack

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
ATHENA_QUERY_SYNC = "arn:aws:states:::athena:startQueryExecution.sync"
SNS_PUBLISH = "arn:aws:states:::sns:publish"
SQS_SEND = "arn:aws:states:::sqs:sendMessage"
MATCH_STATE_MACHINE = "MatchStateMachine"

Task = Callable[[dict[str, Any]], Any]

_SUBSTITUTION = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
_SUPPORTED_TYPES = {"Task", "Pass", "Succeed", "Fail"}
_NOT_CAUGHT = "States.Runtime"  # States.ALL does not catch it, as in Step Functions


class TaskFailed(Exception):
    """Raised by a task callable to fail with a Step Functions error name, e.g.
    `Lambda.TooManyRequestsException`; any other exception is named as Step Functions would
    (the exception's class for a Lambda function, `States.TaskFailed` otherwise)."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause


class ExecutionFailed(Exception):
    """The execution ended in failure: in a Fail state, or with an error no Catch took.

    `state` is the state that ended it; `visited` every state entered, in order.
    """

    def __init__(self, state: str, error: str, cause: str, visited: list[str]) -> None:
        super().__init__(f"{state}: {error}")
        self.state = state
        self.error = error
        self.cause = cause
        self.visited = visited


class _RuntimeError(Exception):
    """A path or template that cannot be applied: fails the execution, uncatchable."""


# ---------------------------------------------------------------------- the definition


def steps_in_order(asl: Mapping[str, Any]) -> list[str]:
    """The states of the success path: from StartAt along Next until End, Succeed or Fail."""
    order: list[str] = []
    name = asl["StartAt"]
    while name is not None and name not in order:
        order.append(name)
        state = asl["States"][name]
        if state.get("End") or state["Type"] in ("Succeed", "Fail"):
            break
        name = state.get("Next")
    return order


def task_key(state: Mapping[str, Any]) -> str:
    """What a Task is keyed by in the driver's `tasks`: its FunctionName for `lambda:invoke`."""
    if state["Resource"] == LAMBDA_INVOKE:
        return state["Parameters"]["FunctionName"]
    return state["Resource"]


def task_keys(asl: Mapping[str, Any]) -> dict[str, str]:
    """State name → task key, for every Task state."""
    return {name: task_key(s) for name, s in asl["States"].items() if s["Type"] == "Task"}


def definition_path(
    body: Mapping[str, Any], state_machine: str = MATCH_STATE_MACHINE, root: Path = PROJECT_ROOT
) -> Path:
    """The ASL file a state machine's DefinitionUri names; `root` is the template's folder."""
    return root / body["Resources"][state_machine]["Properties"]["DefinitionUri"]


def state_machine_functions(body: Mapping[str, Any], state_machine: str = MATCH_STATE_MACHINE) -> dict[str, str]:
    """Substitution name → logical id of each function the state machine's definition names."""
    values = body["Resources"][state_machine]["Properties"].get("DefinitionSubstitutions", {})
    functions = resources_of_type(body, "AWS::Serverless::Function")
    found = {}
    for name, value in values.items():
        target = value.get("Fn::GetAtt") if isinstance(value, dict) else None
        if target and target[0] in functions and target[1] == "Arn":
            found[name] = target[0]
    return found


def definition_substitutions(
    body: Mapping[str, Any], resolver: Resolver, state_machine: str = MATCH_STATE_MACHINE
) -> dict[str, str]:
    """The state machine's DefinitionSubstitutions, resolved with `resolver`.

    Functions never exist in moto, so a function's `Arn` the resolver does not know resolves
    to the ARN Lambda would give it locally (`…:function:<stack>-<logical id>`, the name the
    local runtime's context carries).
    """
    stack, account, region = (resolver.pseudo[name] for name in ("AWS::StackName", "AWS::AccountId", "AWS::Region"))
    arns = {
        (logical_id, "Arn"): f"arn:aws:lambda:{region}:{account}:function:{stack}-{logical_id}"
        for logical_id in resources_of_type(body, "AWS::Serverless::Function")
    }
    local = Resolver(
        body,
        stack_name=stack,
        account_id=account,
        region=region,
        parameters=resolver.parameters,
        refs=dict(resolver.refs),
        attributes=arns | dict(resolver.attributes),
    )
    values = body["Resources"][state_machine]["Properties"].get("DefinitionSubstitutions", {})
    return {name: str(local.resolve(value)) for name, value in values.items()}


def load_asl(path: Path | str, substitutions: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ASL at `path` with `${Name}` replaced from `substitutions` in every string.

    Raises KeyError for a `${Name}` with no substitution when `substitutions` is given.
    """
    definition = json.loads(Path(path).read_text(encoding="utf-8"))
    if substitutions is None:
        return definition
    return _substitute(definition, substitutions)


def _substitute(value: Any, substitutions: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {key: _substitute(item, substitutions) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, substitutions) for item in value]
    if isinstance(value, str):
        return _SUBSTITUTION.sub(lambda m: substitutions[m.group(1)], value)
    return value


# ---------------------------------------------------------------------- the driver


class LocalDriver:
    """Runs `asl` with `tasks` (task key → callable) standing in for the Tasks' services.

    A `lambda:invoke` callable receives the Payload and returns the function's result, which
    the driver wraps as the integration does (`{"Payload": …, "StatusCode": 200}`); any other
    callable receives the Task's Parameters and returns the service's response. `sleep` waits
    between retries (inject a recorder in tests). Raises ValueError when a Task has no callable
    or the ASL uses a state type the driver does not run.
    """

    def __init__(
        self,
        asl: Mapping[str, Any],
        tasks: Mapping[str, Task],
        *,
        sleep: Callable[[float], None] = time.sleep,
        state_machine_arn: str = "arn:aws:states:eu-west-1:123456789012:stateMachine:local",
    ) -> None:
        unsupported = {n: s["Type"] for n, s in asl["States"].items() if s["Type"] not in _SUPPORTED_TYPES}
        if unsupported:
            raise ValueError(f"state types the local driver does not run: {unsupported}")
        missing = {name: key for name, key in task_keys(asl).items() if key not in tasks}
        if missing:
            raise ValueError(f"Tasks without a local implementation: {missing}")
        self.asl = asl
        self.tasks = dict(tasks)
        self.sleep = sleep
        self.state_machine_arn = state_machine_arn
        self.visited: list[str] = []
        self.retries: list[tuple[str, str, float]] = []  # (state, error, delay)

    def run(self, execution_input: Any = None, *, name: str | None = None) -> Any:
        """Run from StartAt; the final output, or ExecutionFailed."""
        name = name or f"local-{uuid.uuid4().hex[:12]}"
        data = {} if execution_input is None else deepcopy(execution_input)
        arn_prefix = self.state_machine_arn.replace(":stateMachine:", ":execution:")
        context: dict[str, Any] = {
            "Execution": {
                "Id": f"{arn_prefix}:{name}",
                "Name": name,
                "Input": deepcopy(data),
                "StartTime": _now(),
            },
            "StateMachine": {
                "Id": self.state_machine_arn,
                "Name": self.state_machine_arn.rsplit(":", 1)[-1],
            },
        }
        self.visited, self.retries = [], []
        state_name: str | None = self.asl["StartAt"]
        while state_name is not None:
            state = self.asl["States"][state_name]
            self.visited.append(state_name)
            context["State"] = {"Name": state_name, "EnteredTime": _now(), "RetryCount": 0}
            try:
                data, state_name = self._step(state_name, state, data, context)
            except _RuntimeError as exc:
                raise ExecutionFailed(state_name, _NOT_CAUGHT, str(exc), self.visited) from exc
        return data

    # ------------------------------------------------------------------ one state

    def _step(self, name: str, state: Mapping[str, Any], data: Any, context: dict[str, Any]) -> tuple[Any, str | None]:
        kind = state["Type"]
        if kind == "Fail":
            error = _path(data, state["ErrorPath"], context) if "ErrorPath" in state else state.get("Error", "")
            cause = _path(data, state["CausePath"], context) if "CausePath" in state else state.get("Cause", "")
            raise ExecutionFailed(name, str(error), str(cause), self.visited)
        if kind == "Succeed":
            return _output(state, _input(state, data, context), context), None
        effective = _input(state, data, context)
        if "Parameters" in state:
            effective = _template(state["Parameters"], effective, context)
        if kind == "Pass":
            result = deepcopy(state["Result"]) if "Result" in state else effective
        else:
            try:
                result = self._call(name, state, effective, context)
            except TaskFailed as failure:
                catcher = _first_match(state.get("Catch", []), failure.error)
                if catcher is None:
                    raise ExecutionFailed(name, failure.error, failure.cause, self.visited) from failure
                error_output = {"Error": failure.error, "Cause": failure.cause}
                return _result_path(data, catcher.get("ResultPath", "$"), error_output), catcher["Next"]
            if "ResultSelector" in state:
                result = _template(state["ResultSelector"], result, context)
        combined = _result_path(data, state.get("ResultPath", "$"), result)
        return _output(state, combined, context), (None if state.get("End") else state["Next"])

    def _call(self, name: str, state: Mapping[str, Any], parameters: Any, context: dict[str, Any]) -> Any:
        """The task's result after its Retry policy; TaskFailed when it gives up."""
        attempts: dict[int, int] = {}
        while True:
            try:
                return self._invoke(state, parameters)
            except TaskFailed as failure:
                index, retrier = _first_match_indexed(state.get("Retry", []), failure.error)
                if retrier is None or attempts.get(index, 0) >= retrier.get("MaxAttempts", 3):
                    raise
                delay = retrier.get("IntervalSeconds", 1) * retrier.get("BackoffRate", 2.0) ** attempts.get(index, 0)
                if "MaxDelaySeconds" in retrier:
                    delay = min(delay, retrier["MaxDelaySeconds"])
                attempts[index] = attempts.get(index, 0) + 1
                context["State"]["RetryCount"] += 1
                self.retries.append((name, failure.error, delay))
                self.sleep(delay)

    def _invoke(self, state: Mapping[str, Any], parameters: Any) -> Any:
        task = self.tasks[task_key(state)]
        is_lambda = state["Resource"] == LAMBDA_INVOKE
        try:
            if is_lambda:
                payload = task(deepcopy(parameters.get("Payload", {})))
                return {"ExecutedVersion": "$LATEST", "Payload": payload, "StatusCode": 200}
            return task(deepcopy(parameters))
        except TaskFailed:
            raise
        except Exception as exc:
            if is_lambda:
                cause = json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__})
                raise TaskFailed(type(exc).__name__, cause) from exc
            raise TaskFailed("States.TaskFailed", str(exc)) from exc


# ---------------------------------------------------------------------- the local wiring


def local_workflow(
    stack: LocalStack,
    invoke: Callable[[str, dict[str, Any]], Any],
    athena: LocalAthena | None = None,
    *,
    state_machine: str = MATCH_STATE_MACHINE,
    sleep: Callable[[float], None] = time.sleep,
) -> LocalDriver:
    """The template's state machine on the local stack.

    Lambda Tasks call `invoke(logical_id, payload)` (the local runtime's invoke), the Athena
    Task runs on `athena` (a LocalAthena over the stack by default), SNS publishes and SQS sends
    go to moto (the local runtime then drains the queue, as Lambda's event source would).
    """
    from infra.local.athena import LocalAthena

    substitutions = definition_substitutions(stack.body, stack.resolver, state_machine)
    asl = load_asl(definition_path(stack.body, state_machine, stack.template_path.parent), substitutions)
    functions = {
        substitutions[name]: logical_id
        for name, logical_id in state_machine_functions(stack.body, state_machine).items()
    }
    athena = athena or LocalAthena.for_stack(stack)
    sns = stack.client("sns")
    tasks: dict[str, Task] = {
        ATHENA_QUERY_SYNC: athena_task(athena),
        SNS_PUBLISH: lambda parameters: sns.publish(**parameters),
        SQS_SEND: sqs_send_task(stack.client("sqs")),
    }
    for arn, logical_id in functions.items():
        tasks[arn] = _lambda_task(invoke, logical_id)
    arn = f"arn:aws:states:{stack.region}:{stack.account_id}:stateMachine:{stack.stack_name}-{state_machine}"
    return LocalDriver(asl, tasks, sleep=sleep, state_machine_arn=arn)


def athena_task(athena: LocalAthena) -> Task:
    """`athena:startQueryExecution.sync` on a LocalAthena: Parameters in, GetQueryExecution out."""

    def run(parameters: dict[str, Any]) -> dict[str, Any]:
        return athena.execute(
            parameters["QueryString"],
            database=parameters.get("QueryExecutionContext", {}).get("Database"),
            work_group=parameters.get("WorkGroup"),
        )

    return run


def sqs_send_task(sqs: Any) -> Task:
    """`sqs:sendMessage`: a MessageBody that is not a string goes as its JSON, as Step Functions
    sends it; returns SendMessage's answer (MessageId, MD5OfMessageBody)."""

    def run(parameters: dict[str, Any]) -> dict[str, Any]:
        body = parameters["MessageBody"]
        message = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
        response = sqs.send_message(QueueUrl=parameters["QueueUrl"], MessageBody=message)
        return {"MessageId": response["MessageId"], "MD5OfMessageBody": response["MD5OfMessageBody"]}

    return run


def _lambda_task(invoke: Callable[[str, dict[str, Any]], Any], logical_id: str) -> Task:
    return lambda payload: invoke(logical_id, payload)


# ---------------------------------------------------------------------- paths and templates


def _input(state: Mapping[str, Any], data: Any, context: dict[str, Any]) -> Any:
    if "InputPath" not in state:
        return data
    return {} if state["InputPath"] is None else _path(data, state["InputPath"], context)


def _output(state: Mapping[str, Any], data: Any, context: dict[str, Any]) -> Any:
    if "OutputPath" not in state:
        return data
    return {} if state["OutputPath"] is None else _path(data, state["OutputPath"], context)


def _path(data: Any, path: str, context: dict[str, Any]) -> Any:
    """`$`, `$.a.b` over `data`; `$$`, `$$.a.b` over the context object."""
    root, rest = (context, path[2:]) if path.startswith("$$") else (data, path[1:])
    if not path.startswith("$") or (rest and not rest.startswith(".")):
        raise _RuntimeError(f"unsupported path {path!r}")
    value = root
    for part in filter(None, rest.split(".")):
        if not isinstance(value, dict) or part not in value:
            raise _RuntimeError(f"path {path!r} does not exist in the input")
        value = value[part]
    return deepcopy(value)


def _result_path(data: Any, path: str | None, result: Any) -> Any:
    if path is None:
        return data
    if path == "$":
        return result
    if not path.startswith("$."):
        raise _RuntimeError(f"unsupported ResultPath {path!r}")
    if not isinstance(data, dict):
        raise _RuntimeError(f"ResultPath {path!r} needs an object as the state's input")
    combined = deepcopy(data)
    target = combined
    *parents, last = path[2:].split(".")
    for part in parents:
        target = target.setdefault(part, {})
        if not isinstance(target, dict):
            raise _RuntimeError(f"ResultPath {path!r} crosses a non-object")
    target[last] = result
    return combined


def _template(template: Any, data: Any, context: dict[str, Any]) -> Any:
    """Parameters/ResultSelector: keys ending in `.$` take a path or an intrinsic's value."""
    if isinstance(template, list):
        return [_template(item, data, context) for item in template]
    if not isinstance(template, dict):
        return template
    resolved = {}
    for key, value in template.items():
        if key.endswith(".$"):
            resolved[key[:-2]] = _expression(value, data, context)
        else:
            resolved[key] = _template(value, data, context)
    return resolved


def _expression(text: str, data: Any, context: dict[str, Any]) -> Any:
    if text.startswith("$"):
        return _path(data, text, context)
    if text.startswith("States.Format(") and text.endswith(")"):
        raw_format, *raw_args = _arguments(text[len("States.Format(") : -1])
        if not (len(raw_format) >= 2 and raw_format[0] == raw_format[-1] == "'"):
            raise _RuntimeError("States.Format needs a string literal first")
        pieces = [_unescape(piece) for piece in re.split(r"(?<!\\)\{\}", raw_format[1:-1])]
        args = [_argument(arg, data, context) for arg in raw_args]
        if len(pieces) != len(args) + 1:
            raise _RuntimeError(f"States.Format: {len(args)} arguments for {len(pieces) - 1} placeholders")
        out = pieces[0]
        for arg, piece in zip(args, pieces[1:], strict=True):
            out += (arg if isinstance(arg, str) else json.dumps(arg)) + piece
        return out
    raise _RuntimeError(f"unsupported expression {text!r}")


def _arguments(text: str) -> list[str]:
    """Split an intrinsic's argument list on top-level commas, respecting quoted strings."""
    args, current, quoted, escaped = [], "", False, False
    for char in text:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            current += char
            escaped = True
        elif char == "'":
            current += char
            quoted = not quoted
        elif char == "," and not quoted:
            args.append(current.strip())
            current = ""
        else:
            current += char
    args.append(current.strip())
    return args


def _argument(text: str, data: Any, context: dict[str, Any]) -> Any:
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return _unescape(text[1:-1])
    if text.startswith("$"):
        return _path(data, text, context)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _RuntimeError(f"unsupported intrinsic argument {text!r}") from exc


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _matches(error_equals: list[str], error: str) -> bool:
    if error == _NOT_CAUGHT:
        return False
    if "States.ALL" in error_equals or error in error_equals:
        return True
    return "States.TaskFailed" in error_equals and error != "States.Timeout"


def _first_match(rules: list[Mapping[str, Any]], error: str) -> Mapping[str, Any] | None:
    return _first_match_indexed(rules, error)[1]


def _first_match_indexed(rules: list[Mapping[str, Any]], error: str) -> tuple[int, Mapping[str, Any] | None]:
    for index, rule in enumerate(rules):
        if _matches(rule["ErrorEquals"], error):
            return index, rule
    return -1, None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
