#!/usr/bin/env python3
"""Run an Amazon States Language definition in moto's Step Functions interpreter.

In process, no server, no AWS account: the definition is parsed and executed by
moto's real ASL interpreter (``moto.stepfunctions.parser``, derived from
LocalStack's), with every Task answered from an AWS Step Functions Local *mock
configuration file* (the ``StateMachines`` / ``MockedResponses`` format of
https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html).

    from harness import run
    r = run(definition, mock_config, "TripSaga", "HappyPath", {"tripId": "t1"})
    r.status          # "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED"
    r.entered_states  # ["ReserveFlight", "ReserveHotel", ...] in history order
    r.output, r.error, r.cause, r.history

CLI (prints JSON with status, entered_states, output, error, cause):

    python tests/asl/harness.py DEFINITION.json MOCK_CONFIG.json \
        --state-machine NAME --test-case CASE [--input INPUT.json] \
        [--sub Name=value ...] [--history]

Exit code: 0 when the execution ran (whatever its status; use --expect-status
to assert one), 2 for a usage/harness error (bad mock file, unmocked Lambda
call, invalid definition).

Mock file contract (decided here, checked by the harness):

* ``Return`` is exactly what the *integration* returns, as in Step Functions
  Local. For ``arn:aws:states:::lambda:invoke`` that is the full Lambda Invoke
  response, ``{"StatusCode": 200, "Payload": {...}}``; the harness does NOT
  wrap plain values (so the same file works unchanged with Step Functions
  Local, LocalStack and TestState). A lambda:invoke ``Return`` without a
  ``Payload``/``StatusCode`` key is rejected with an error: moto would take the
  plain value as the whole Invoke response, and ``$.Payload`` would be missing.
* A function that fails (a business error such as ``NoSeatsAvailable``) is
  mocked with ``Throw``. A ``Return`` carrying ``"FunctionError"`` is rejected:
  moto ignores FunctionError in mocked service integrations and the state would
  *succeed* with the error payload.
* For ``lambda:invoke.waitForTaskToken`` the ``Return`` is what SendTaskSuccess
  would send (no Invoke-response wrapping).
* ``Throw`` is ``{"Error": "...", "Cause": "..."}`` (Cause optional, default
  ""). The state fails with that error name, so Retry/Catch apply to it.
* Response keys are attempt numbers of that state's entry: ``"0"`` is the first
  attempt, ``"1-2"`` the next two retries, consecutive and starting at 0.
  A state entered again later (a loop) starts again at ``"0"``.
* Every Task that invokes Lambda (``lambda:invoke`` or a Lambda function ARN as
  Resource) and actually runs must have a mock in the test case; an unmocked
  one is a harness error, never a call to some Lambda. Other service
  integrations (DynamoDB, SQS, EventBridge, ...) may be left unmocked: they
  then run against moto's in-process mock of that service.
* Names in the test case must be Task states of the definition (also inside
  Parallel branches and Map processors).

What is changed compared with a real execution, for speed and determinism:

* Retry intervals are not slept (``time.sleep`` in the retrier is replaced);
  the intervals moto computed (after BackoffRate, MaxDelaySeconds and
  JitterStrategy) are recorded in ``Result.retry_sleeps``.
* Wait states do not wait (``skip_waits=False`` restores real waiting); the
  seconds are recorded in ``Result.waits``.
* Parallel branches run one after another in declaration order
  (``parallel="concurrent"`` restores moto's threads), so ``entered_states``
  is deterministic. Once a branch has failed, later branches are not started.
* ``${Name}`` placeholders (CloudFormation DefinitionSubstitutions) are replaced
  before parsing: by ``substitutions[Name]`` when given, else by the fake ARN
  ``arn:aws:lambda:us-east-1:123456789012:function:Name``.

See tests/asl/README.md for moto's limitations found so far.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime
import json
import logging
import os
import re
import sys
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/sagac-harness-role"
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_.:-]+)\}")
TERMINAL_STATUSES = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


def _reexec_in_tools_venv() -> None:
    """CLI convenience: run under .cache/venv's python when moto is not importable."""
    try:
        import moto  # noqa: F401
    except ImportError:
        root = Path(__file__).resolve().parents[2]
        tools = Path(os.environ.get("SAGAC_TOOLS", root / ".cache"))
        py = tools / "venv" / "bin" / "python"
        if py.exists() and Path(sys.executable).resolve() != py.resolve():
            os.execv(str(py), [str(py), *sys.argv])
        raise SystemExit("harness: moto is not installed; run scripts/setup-tools.sh")


if __name__ == "__main__":
    _reexec_in_tools_venv()

import moto  # noqa: E402
from moto.stepfunctions.parser.api import StateMachineType  # noqa: E402
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl  # noqa: E402
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import (  # noqa: E402
    branch_worker as _branch_worker,
)
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (  # noqa: E402
    CustomErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (  # noqa: E402
    StatesErrorName,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task import (  # noqa: E402
    lambda_eval_utils,
    mock_eval_utils,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function import (  # noqa: E402
    wait_function as _wait_function,
)
from moto.stepfunctions.parser.asl.jsonata import jsonata as _moto_jsonata  # noqa: E402
from moto.stepfunctions.parser.asl.component.intrinsic import (  # noqa: E402
    jsonata as _moto_jsonata_functions,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment  # noqa: E402
from moto.stepfunctions.parser.asl.eval.evaluation_details import (  # noqa: E402
    AWSExecutionDetails,
    EvaluationDetails,
    ExecutionDetails,
    StateMachineDetails,
)
from moto.stepfunctions.parser.asl.eval.program_state import (  # noqa: E402
    ProgramEnded,
    ProgramError,
    ProgramStopped,
    ProgramTimedOut,
)
from moto.stepfunctions.parser.asl.parse.asl_parser import (  # noqa: E402
    AmazonStateLanguageParser,
    ASLParserException,
)
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker  # noqa: E402
from moto.stepfunctions.parser.backend.execution_worker_comm import (  # noqa: E402
    ExecutionWorkerCommunication,
)
from moto.stepfunctions.parser.asl.utils import json_path as _json_path  # noqa: E402
from moto.stepfunctions.parser.mocking.mock_config import (  # noqa: E402
    MockedResponse,
    MockedResponseReturn,
    MockedResponseThrow,
    MockTestCase,
    StateMockedResponses,
)

__all__ = [
    "HarnessError",
    "Result",
    "run",
    "build_mock_test_case",
    "substitute",
    "task_states",
]


class HarnessError(Exception):
    """The inputs are wrong (mock file, definition, unmocked Lambda call): not an
    execution outcome."""


@dataclass
class Result:
    status: str
    entered_states: list[str]
    output: Any
    error: str | None
    cause: str | None
    history: list[dict]
    execution_arn: str
    # Seconds each retry would have slept (after backoff, cap and jitter).
    retry_sleeps: list[float] = field(default_factory=list)
    # Seconds each Wait state would have waited.
    waits: list[float] = field(default_factory=list)

    @property
    def exited_states(self) -> list[str]:
        return [
            e["stateExitedEventDetails"]["name"]
            for e in self.history
            if "stateExitedEventDetails" in e
        ]

    def events(self, type_suffix: str = "") -> list[dict]:
        """History events whose type ends with type_suffix ("TaskFailed", ...)."""
        return [e for e in self.history if e["type"].endswith(type_suffix)]

    def task_errors(self) -> list[tuple[str, str]]:
        """(state name, error) of every failed Task attempt, in order."""
        out = []
        for e in self.history:
            if e["type"] in ("TaskFailed", "LambdaFunctionFailed", "TaskTimedOut",
                             "LambdaFunctionTimedOut"):
                details = next(
                    (v for k, v in e.items() if k.endswith("EventDetails")), {}
                )
                out.append((_state_of(e, self.history), details.get("error", "")))
        return out

    def to_dict(self, with_history: bool = False) -> dict:
        d = {
            "status": self.status,
            "entered_states": self.entered_states,
            "output": self.output,
            "error": self.error,
            "cause": self.cause,
            "retry_sleeps": self.retry_sleeps,
            "waits": self.waits,
        }
        if with_history:
            d["history"] = self.history
        return d


def _state_of(event: dict, history: list[dict]) -> str:
    """Name of the state an event belongs to (walks previousEventId back)."""
    by_id = {e["id"]: e for e in history}
    e = event
    while e is not None:
        if "stateEnteredEventDetails" in e:
            return e["stateEnteredEventDetails"]["name"]
        e = by_id.get(e.get("previousEventId"))
    return ""


# --------------------------------------------------------------------------
# Definition helpers


def substitute(definition: dict | str, substitutions: dict[str, Any] | None = None) -> str:
    """Replace ``${Name}`` placeholders (DefinitionSubstitutions) and return JSON text."""
    text = definition if isinstance(definition, str) else json.dumps(definition)
    subs = substitutions or {}

    def repl(m: re.Match) -> str:
        name = m.group(1)
        value = subs.get(name, f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
        # Placeholders sit inside JSON strings: escape the value for that.
        return json.dumps(str(value))[1:-1]

    return _PLACEHOLDER.sub(repl, text)


def _walk_states(states: dict) -> Iterator[tuple[str, dict]]:
    for name, state in states.items():
        yield name, state
        for branch in state.get("Branches", []) or []:
            yield from _walk_states(branch.get("States", {}))
        for key in ("ItemProcessor", "Iterator"):
            sub = state.get(key)
            if isinstance(sub, dict):
                yield from _walk_states(sub.get("States", {}))


def task_states(definition: dict) -> dict[str, dict]:
    """All Task states of a definition, also inside Parallel and Map, by name."""
    return {
        name: st
        for name, st in _walk_states(definition.get("States", {}))
        if st.get("Type") == "Task"
    }


def _is_lambda_invoke(state: dict) -> bool:
    """Request-response lambda:invoke (its result is the Invoke response). Not
    .waitForTaskToken, whose result is what SendTaskSuccess sends."""
    return state.get("Resource") == LAMBDA_INVOKE


# --------------------------------------------------------------------------
# Mock configuration


def _parse_range(key: str, where: str) -> tuple[int, int]:
    parts = key.strip().split("-")
    try:
        if len(parts) == 1:
            n = int(parts[0])
            return n, n
        if len(parts) == 2:
            return int(parts[0]), int(parts[1])
    except ValueError:
        pass
    raise HarnessError(f"{where}: bad attempt range {key!r} (want \"0\" or \"1-2\")")


def _mocked_response(
    key: str, raw: Any, where: str, state: dict | None, strict: bool
) -> MockedResponse:
    start, end = _parse_range(key, where)
    if not isinstance(raw, dict) or (("Return" in raw) == ("Throw" in raw)):
        raise HarnessError(f"{where}[{key!r}]: needs exactly one of Return or Throw")
    try:
        if "Throw" in raw:
            throw = raw["Throw"]
            if not isinstance(throw, dict) or not isinstance(throw.get("Error"), str):
                raise HarnessError(f"{where}[{key!r}].Throw: needs a string Error")
            cause = throw.get("Cause", "")
            if not isinstance(cause, str):
                cause = json.dumps(cause)
            return MockedResponseThrow(start, end, error=throw["Error"], cause=cause)
        ret = raw["Return"]
        if strict and state is not None and _is_lambda_invoke(state):
            if not isinstance(ret, dict) or not ({"Payload", "StatusCode"} & ret.keys()):
                raise HarnessError(
                    f"{where}[{key!r}].Return: a lambda:invoke mock must be the full "
                    'Invoke response, e.g. {"StatusCode": 200, "Payload": {...}}; got '
                    f"{json.dumps(ret)[:200]}"
                )
            if "FunctionError" in ret:
                raise HarnessError(
                    f"{where}[{key!r}].Return: moto ignores FunctionError in a mocked "
                    "lambda:invoke Return (the state would succeed with the error "
                    'payload); mock a failing function with {"Throw": {"Error": '
                    '"<errorType>", "Cause": "..."}} instead'
                )
        return MockedResponseReturn(start, end, payload=ret)
    except ValueError as e:
        raise HarnessError(f"{where}[{key!r}]: {e}") from e


def build_mock_test_case(
    mock_config: dict,
    state_machine_name: str,
    test_case: str,
    definition: dict | None = None,
    strict: bool = True,
) -> MockTestCase:
    """Build moto's MockTestCase from a Step Functions Local mock config (moto's
    own loader, ``load_mock_test_case_for``, is a stub returning None)."""
    machines = mock_config.get("StateMachines")
    if not isinstance(machines, dict) or state_machine_name not in machines:
        known = sorted(machines) if isinstance(machines, dict) else []
        raise HarnessError(
            f"mock config has no StateMachines.{state_machine_name} (has: {known})"
        )
    cases = machines[state_machine_name].get("TestCases", {})
    if test_case not in cases:
        raise HarnessError(
            f"mock config has no test case {test_case!r} for {state_machine_name} "
            f"(has: {sorted(cases)})"
        )
    responses = mock_config.get("MockedResponses", {})
    tasks = task_states(definition) if definition is not None else {}
    per_state = []
    for state_name, response_name in cases[test_case].items():
        if definition is not None and strict and state_name not in tasks:
            raise HarnessError(
                f"test case {test_case!r} mocks {state_name!r}, which is not a Task "
                f"state of the definition (Task states: {sorted(tasks)})"
            )
        if response_name not in responses:
            raise HarnessError(
                f"test case {test_case!r}: state {state_name!r} uses mocked response "
                f"{response_name!r}, not defined under MockedResponses"
            )
        raw = responses[response_name]
        if not isinstance(raw, dict) or not raw:
            raise HarnessError(f"MockedResponses.{response_name}: empty or not an object")
        where = f"MockedResponses.{response_name}"
        items = [
            _mocked_response(k, v, where, tasks.get(state_name), strict)
            for k, v in raw.items()
        ]
        try:
            per_state.append(StateMockedResponses(state_name, response_name, items))
        except (RuntimeError, ValueError) as e:
            raise HarnessError(f"{where}: {e}") from e
    try:
        return MockTestCase(state_machine_name, test_case, per_state)
    except RuntimeError as e:
        raise HarnessError(str(e)) from e


# --------------------------------------------------------------------------
# Execution


class _Comm(ExecutionWorkerCommunication):
    def __init__(self) -> None:
        self.done = threading.Event()
        self.worker: ExecutionWorker | None = None

    def terminated(self) -> None:
        self.done.set()


_HASH_ALGORITHMS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256",
                    "SHA-384": "sha384", "SHA-512": "sha512"}


def _jsonata_hash(value: Any, algorithm: Any) -> str:
    """Step Functions' JSONata ``$hash(value, algorithm)``: the hex digest.
    moto (like LocalStack) declares it as a stub returning the *string*
    "Function $hash is currently not supported", a silently wrong value."""
    import hashlib

    name = _HASH_ALGORITHMS.get(str(algorithm))
    if name is None:
        raise ValueError(f"$hash: unknown algorithm {algorithm!r}")
    return hashlib.new(name, str(value).encode("utf-8")).hexdigest()


def _eval_jsonata_python(expression: str) -> Any:
    """JSONata engine for moto: moto 5.2 ships its JVM bridge stubbed out (every
    ``{% ... %}`` failed with States.Runtime "'NoneType' object is not
    callable"). jsonata-python is a port of jsonata-java, the engine LocalStack
    runs in that bridge; moto hands it one self-contained expression."""
    try:
        import jsonata  # jsonata-python
    except ImportError as e:  # pragma: no cover - installed by setup-tools
        raise _moto_jsonata.JSONataException(
            "UNKNOWN", "JSONata needs jsonata-python (scripts/setup-tools.sh)"
        ) from e
    try:
        compiled = jsonata.Jsonata(expression)
        compiled.register_lambda("hash", _jsonata_hash)
        out = compiled.evaluate(None)
        return None if out is None else json.loads(json.dumps(out))
    except Exception as e:
        raise _moto_jsonata.JSONataException("UNKNOWN", str(e)) from e


@dataclass
class _Recorder:
    retry_sleeps: list[float] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    unmocked_lambda: list[str] = field(default_factory=list)
    mock_errors: list[str] = field(default_factory=list)


class _FakeTime:
    """Stands in for the ``time`` module inside moto's retrier."""

    def __init__(self, rec: _Recorder) -> None:
        self._rec = rec

    def sleep(self, seconds: float) -> None:
        self._rec.retry_sleeps.append(seconds)

    def __getattr__(self, name: str) -> Any:
        import time

        return getattr(time, name)


@contextlib.contextmanager
def _patched(rec: _Recorder, skip_waits: bool, parallel: str) -> Iterator[None]:
    saved: list[tuple[Any, str, Any]] = []

    def patch(obj: Any, name: str, value: Any) -> None:
        saved.append((obj, name, getattr(obj, name)))
        setattr(obj, name, value)

    def refuse_unmocked_lambda(parameters, region, state_credentials):
        fn = parameters.get("FunctionName", "?") if isinstance(parameters, dict) else "?"
        rec.unmocked_lambda.append(str(fn))
        raise HarnessError(f"unmocked Lambda invocation of {fn}")

    def error_name(name: str):
        # moto builds CustomErrorName(Error) for a mocked Throw, which refuses
        # reserved names: Throw {"Error": "States.Timeout"} became States.Runtime.
        if name.startswith("States."):
            try:
                return StatesErrorName.from_name(name)
            except ValueError:
                pass
        return CustomErrorName(name)

    orig_mocked_response = Environment.get_current_mocked_response

    def checked_mocked_response(self):
        try:
            return orig_mocked_response(self)
        except RuntimeError as e:  # e.g. more attempts than mocked responses
            rec.mock_errors.append(str(e))
            raise

    patch(Environment, "get_current_mocked_response", checked_mocked_response)
    patch(retrier_decl, "time", _FakeTime(rec))
    if _moto_jsonata._eval_jsonata is None:
        patch(_moto_jsonata, "_eval_jsonata", _eval_jsonata_python)
    # moto prepends a declaration of each Step Functions JSONata function an
    # expression uses; its $hash is a stub that would shadow the real one.
    declarations = dict(_moto_jsonata_functions._DECLARATION_BY_VARIABLE_REFERENCE)
    declarations.pop("$hash", None)
    patch(_moto_jsonata_functions, "_DECLARATION_BY_VARIABLE_REFERENCE", declarations)
    patch(mock_eval_utils, "CustomErrorName", error_name)
    patch(lambda_eval_utils, "_invoke_lambda_function", refuse_unmocked_lambda)
    # moto wraps the value of a definite path whose parent is an array index
    # in a list (`$[1].results` -> [{...}]; its fix for moto#7825, unlike
    # LocalStack and AWS, where `$[0].x` after a Parallel is the value). Only
    # definite paths (no wildcard, filter, slice or descent) are unwrapped.
    orig_extract_json = _json_path.extract_json

    def extract_json(path, data):
        value = orig_extract_json(path, data)
        if (isinstance(value, list) and len(value) == 1
                and not any(t in path for t in ("*", "?", ":", "..", "("))):
            matches = _json_path.parse(path).find(data)
            if len(matches) == 1:
                return matches[0].value
        return value

    for module in list(sys.modules.values()):
        if (getattr(module, "__name__", "").startswith("moto.stepfunctions.parser")
                and getattr(module, "extract_json", None) is orig_extract_json):
            patch(module, "extract_json", extract_json)
    if skip_waits:
        def no_wait(self, env, wait_seconds):
            rec.waits.append(wait_seconds)

        patch(_wait_function.WaitFunction, "_wait_interval", no_wait)
    if parallel == "serial":
        orig_start = _branch_worker.BranchWorker.start

        def serial_start(self):
            pool = self._branch_worker_comm
            ev = getattr(pool, "_termination_event", None)
            if ev is not None and ev.is_set():
                return  # an earlier branch failed: do not start this one
            orig_start(self)
            self._worker_thread.join()

        patch(_branch_worker.BranchWorker, "start", serial_start)
    elif parallel != "concurrent":
        raise ValueError("parallel must be 'serial' or 'concurrent'")
    try:
        yield
    finally:
        for obj, name, value in reversed(saved):
            setattr(obj, name, value)


@contextlib.contextmanager
def _isolated_aws_env() -> Iterator[None]:
    """Keep SDK calls made by the interpreter in process: drop endpoint overrides
    (e.g. AWS_ENDPOINT_URL pointing at moto_server) and use fake credentials."""
    keys = [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]
    fake = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }
    saved = {k: os.environ.get(k) for k in [*keys, *fake]}
    for k in keys:
        del os.environ[k]
    os.environ.update(fake)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _jsonable(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=_json_default))


def _json_default(o: Any) -> Any:
    if isinstance(o, (datetime.datetime, datetime.date)):
        return o.isoformat()
    if hasattr(o, "value"):  # enums
        return o.value
    return str(o)


@contextlib.contextmanager
def _quiet_moto() -> Iterator[None]:
    """moto logs every handled state failure with a full AST dump at ERROR level;
    keep that off stderr unless SAGAC_HARNESS_DEBUG is set."""
    if os.environ.get("SAGAC_HARNESS_DEBUG"):
        yield
        return
    log = logging.getLogger("moto.stepfunctions")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


_run_lock = threading.Lock()  # the patches are process-global


def run(
    definition: dict | str,
    mock_config: dict,
    state_machine_name: str,
    test_case: str,
    input: dict | None = None,  # noqa: A002 - the brief's name
    substitutions: dict[str, Any] | None = None,
    *,
    timeout: float = 60.0,
    strict: bool = True,
    skip_waits: bool = True,
    parallel: str = "serial",
    execution_name: str | None = None,
    express: bool = False,
) -> Result:
    """Execute ``definition`` with the mocks of ``test_case`` and return the outcome.

    Raises HarnessError for bad inputs (invalid definition, bad mock file, a
    Lambda call without a mock), never for a failed execution: that is
    ``Result.status == "FAILED"``.
    """
    text = substitute(definition, substitutions)
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as e:
        raise HarnessError(f"definition is not JSON after substitution: {e}") from e
    try:
        AmazonStateLanguageParser.parse(text)
    except ASLParserException as e:
        raise HarnessError(f"moto rejects the definition: {e!r}") from e
    except Exception as e:  # moto raises plain exceptions for some invalid shapes
        raise HarnessError(f"moto rejects the definition: {type(e).__name__}: {e}") from e

    mock_test_case = build_mock_test_case(
        mock_config, state_machine_name, test_case, definition=parsed, strict=strict
    )

    name = execution_name or f"{test_case}-{uuid.uuid4().hex[:8]}"
    sm_arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{state_machine_name}"
    exec_arn = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{state_machine_name}:{name}"
    details = EvaluationDetails(
        aws_execution_details=AWSExecutionDetails(ACCOUNT, REGION, ROLE_ARN),
        execution_details=ExecutionDetails(
            arn=exec_arn,
            name=name,
            role_arn=ROLE_ARN,
            inpt=copy.deepcopy(input if input is not None else {}),
            # An ISO 8601 string, as on AWS (and as moto's ExecutionDetails
            # declares it): a datetime here made $$.Execution.StartTime
            # unserialisable in SDK-integration parameters (States.Runtime).
            start_time=datetime.datetime.now(tz=datetime.timezone.utc)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
        ),
        state_machine_details=StateMachineDetails(
            arn=sm_arn,
            name=state_machine_name,
            typ=StateMachineType.EXPRESS if express else StateMachineType.STANDARD,
            definition=text,
        ),
    )
    rec = _Recorder()
    comm = _Comm()
    worker = ExecutionWorker(
        evaluation_details=details,
        exec_comm=comm,
        cloud_watch_logging_session=None,
        activity_store={},
        mock_test_case=mock_test_case,
    )
    with _run_lock, _quiet_moto(), _isolated_aws_env(), _patched(
        rec, skip_waits, parallel
    ), moto.mock_aws(
        config={"stepfunctions": {"execute_state_machine": True}}
    ):
        worker.start()  # the interpreter runs in its own thread, as in moto
        finished = comm.done.wait(timeout)
        if not finished:
            if worker.env is not None:
                worker.stop(
                    stop_date=datetime.datetime.now(tz=datetime.timezone.utc),
                    error="Harness.Timeout",
                    cause=f"execution did not finish within {timeout}s",
                )
                comm.done.wait(5)
        env = worker.env
        state = env.program_state() if env is not None else None
        history = _jsonable(env.event_manager.get_event_history()) if env else []

    if rec.unmocked_lambda and strict:
        raise HarnessError(
            f"test case {test_case!r}: Lambda invoked without a mock: "
            f"{sorted(set(rec.unmocked_lambda))} (mock every Task that runs)"
        )

    if rec.mock_errors and strict:
        raise HarnessError(
            f"test case {test_case!r}: {rec.mock_errors[0]} (a state ran more often "
            "than its mocked responses cover: add keys such as \"1-2\")"
        )

    output = error = cause = None
    if not finished:
        status = "HARNESS_TIMEOUT"
    elif isinstance(state, ProgramEnded):
        status = "SUCCEEDED"
        output = _jsonable(env.states.get_input())
    elif isinstance(state, ProgramError):
        status = "FAILED"
        err = state.error or {}
        error, cause = err.get("error"), err.get("cause")
    elif isinstance(state, ProgramTimedOut):
        status = "TIMED_OUT"
    elif isinstance(state, ProgramStopped):
        status = "ABORTED"
        error, cause = state.error, state.cause
    else:
        status = f"UNKNOWN({type(state).__name__})"

    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in history
        if "stateEnteredEventDetails" in e
    ]
    return Result(
        status=status,
        entered_states=entered,
        output=output,
        error=error,
        cause=cause,
        history=history,
        execution_arn=exec_arn,
        retry_sleeps=rec.retry_sleeps,
        waits=rec.waits,
    )


# --------------------------------------------------------------------------
# CLI


def _load_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise HarnessError(f"{path}: {e}") from e


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="harness.py",
        description="Run an ASL definition in moto's interpreter with a Step Functions "
        "Local mock config; prints JSON (status, entered_states, output, error, cause).",
    )
    p.add_argument("definition", help="ASL JSON file (may contain ${Placeholders})")
    p.add_argument("mock_config", help="Step Functions Local mock config JSON file")
    p.add_argument("--state-machine", required=True, help="key under StateMachines")
    p.add_argument("--test-case", required=True, help="key under TestCases")
    p.add_argument("--input", help="execution input JSON file (default {})")
    p.add_argument("--input-json", help="execution input as a JSON string")
    p.add_argument("--sub", action="append", default=[], metavar="NAME=VALUE",
                   help="DefinitionSubstitutions value (default: fake Lambda ARN)")
    p.add_argument("--history", action="store_true", help="include the raw history")
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--no-strict", action="store_true",
                   help="allow unmocked Lambda calls, unknown mocked states, bare Returns")
    p.add_argument("--real-waits", action="store_true", help="Wait states really wait")
    p.add_argument("--concurrent-branches", action="store_true",
                   help="run Parallel branches concurrently (nondeterministic order)")
    p.add_argument("--expect-status", help="exit 1 unless the status is this")
    a = p.parse_args(argv)
    try:
        definition = _load_json(a.definition)
        mock_config = _load_json(a.mock_config)
        if a.input and a.input_json:
            raise HarnessError("give --input or --input-json, not both")
        inp = _load_json(a.input) if a.input else json.loads(a.input_json or "{}")
        subs = {}
        for s in a.sub:
            if "=" not in s:
                raise HarnessError(f"--sub {s!r}: want NAME=VALUE")
            k, v = s.split("=", 1)
            subs[k] = v
        r = run(
            definition, mock_config, a.state_machine, a.test_case, inp, subs,
            timeout=a.timeout, strict=not a.no_strict, skip_waits=not a.real_waits,
            parallel="concurrent" if a.concurrent_branches else "serial",
        )
    except (HarnessError, json.JSONDecodeError) as e:
        print(f"harness: error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(r.to_dict(with_history=a.history), indent=2))
    if a.expect_status and r.status != a.expect_status:
        print(f"harness: status {r.status}, expected {a.expect_status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
