"""Every spec, compiled by sagac, checked by independent tools.

For each spec in spec/ and spec/examples/ (built into a temporary directory
with target/debug/sagac, which scripts/test.sh builds first):

1. asl-validator accepts statemachine.asl.json;
2. every test case of sfn-mock-config.json runs in moto's Step Functions
   interpreter (tests/asl/harness.py) and enters EXACTLY the states that the
   saga semantics below predict. The prediction reads the spec YAML and the
   injected failures (which Task the test case makes fail, with which error,
   on which attempts), never the generated definition;
3. the mock configuration covers every failure point the spec has;
4. least data: on the happy path every Lambda receives the context fields the
   runtime and Datadog read (never `Execution.Input`, the whole request) and
   an `input` of exactly what its step declares (`input:`; the saga id and
   the root's partition key fields always; by default every request field
   and the outputs of the writing steps of earlier stages), and every
   compensation its step's output once that step completed.

The semantics (DESIGN.md section 3, as sagac compiles it):

* RecordStarted writes the root; then the stages run in order; RecordSucceeded
  writes the success outcome and ends the execution. If that write finds
  itself already applied (a failed condition), the execution ends in the
  Succeed state `Succeeded`. A root write that still fails otherwise (for
  RecordStarted, any failure after its retries) ends in `<Write>.Failed`
  with the error Saga.RootWriteFailed.
* A Lambda task retries the errors of its policy, the runtime's TransientError
  and the four Lambda service errors (retriable steps and compensations also retry States.Timeout), then
  fails with the last error.
* A compensatable step failing with one of its business errors: compensate the
  completed steps, last first. Failing with anything else (ambiguous): compensate
  the step itself first. The pivot is never compensated itself: its business
  errors (and Saga.InvalidPayload) are not retried and compensate the steps
  before it; anything else is retried with its policy until the outcome is
  definite, and if it never is: RecordPivotUnknown, PivotUnknown (nothing
  compensated). A retriable step that still fails: RecordRetriesExhausted,
  RetriesExhausted (no rollback past the pivot).
* A parallel group: the Parallel state, then each branch in declaration order
  (the harness runs them one after the other); a failed branch ends in
  `<Step>.Caught`; then `<Group>.Joined`. If a branch failed, the group is
  compensated first: for each branch, last first, the gate `<Compensation>.Needed`,
  then the compensation if the branch completed or failed ambiguously.
  A later failure passes through the same gates (every branch completed).
* Compensations run to the end of the chain even when one fails; the chain
  ends in `CompensationOutcome`, then RecordFailed + RolledBack, or, if a
  compensation failed after its retries, RecordCompensationFailed +
  CompensationFailed. A failure with nothing to compensate goes straight to
  RecordFailed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from harness import run, task_states

ROOT = Path(__file__).resolve().parents[2]
TOOLS = Path(os.environ.get("SAGAC_TOOLS", ROOT / ".cache"))
SAGAC = Path(os.environ.get("SAGAC_BIN", ROOT / "target" / "debug" / "sagac"))
SPECS = sorted([*ROOT.glob("spec/*.saga.yaml"), *ROOT.glob("spec/examples/*.saga.yaml")])
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_.:-]+)\}")

LAMBDA_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
DYNAMODB_TRANSIENT = [
    "DynamoDb.ProvisionedThroughputExceededException",
    "DynamoDb.ThrottlingException",
    "DynamoDb.RequestLimitExceededException",
    "DynamoDb.InternalServerErrorException",
    "DynamoDb.TransactionInProgressException",
    "States.Timeout",
]
CANCELED = "DynamoDb.TransactionCanceledException"
ROOT_WRITE_FAILED = "Saga.RootWriteFailed"
# What the runtime reports for every retriable failure (sagac-contract's
# TRANSIENT_ERROR): every Lambda task retries it, whatever the spec lists.
TRANSIENT = "TransientError"
INVALID_PAYLOAD = "Saga.InvalidPayload"


# --------------------------------------------------------------------------
# The saga, read from the spec YAML (defaults as the spec language defines them)


@dataclass
class Retry:
    errors: list[str]
    attempts: int


@dataclass
class Step:
    name: str
    service: str
    kind: str
    errors: list[str]
    retry: Retry
    compensation: str | None
    compensation_retry: Retry | None
    writes: str | None = None
    input: list[str] | None = None


@dataclass
class Stage:
    name: str
    steps: list[Step]
    parallel: bool


@dataclass
class Saga:
    name: str
    id_field: str
    stages: list[Stage]
    request: dict = field(default_factory=dict)
    always: list[str] = field(default_factory=list)

    def steps(self):
        return [s for stage in self.stages for s in stage.steps]


def _retry(raw, fallback: Retry) -> Retry:
    if not raw:
        return fallback
    return Retry(list(raw.get("errors") or []), int(raw.get("attempts", 3)))


def read_spec(path: Path) -> dict:
    """The spec as data. PyYAML reads YAML 1.1, which refuses a plain scalar
    ending in `?` right before `,` or `}` in a flow mapping (`{ d: date? }`,
    fine in YAML 1.2): such optional-type markers are spelled out first. Only
    field types change, which the semantics here never read."""
    text = re.sub(r"(?<=\w)\?(?=\s*[,}\]])", "_optional", path.read_text(encoding="utf-8"))
    return yaml.safe_load(text)


def load_saga(path: Path) -> Saga:
    spec = read_spec(path)
    defaults = spec.get("defaults") or {}
    retry = _retry(defaults.get("retry"), Retry([], 3))
    comp_retry = _retry(defaults.get("compensation_retry"), Retry([], 5))

    def step(raw) -> Step:
        comp = raw.get("compensation")
        return Step(
            name=raw["name"],
            service=raw["service"],
            kind=raw.get("kind", "compensatable"),
            errors=list(raw.get("errors") or []),
            retry=_retry(raw.get("retry"), retry),
            compensation=(comp.get("name") or f"Compensate{raw['name']}") if comp else None,
            compensation_retry=_retry(comp.get("retry"), comp_retry) if comp else None,
            writes=raw.get("writes"),
            input=raw.get("input"),
        )

    stages = []
    for entry in spec["steps"]:
        if "parallel" in entry:
            group = entry["parallel"]
            stages.append(Stage(group["name"], [step(b) for b in group["branches"]], True))
        else:
            s = step(entry)
            stages.append(Stage(s.name, [s], False))
    root_pk = spec["entities"][spec["root"]["entity"]]["pk"]
    always = [spec["root"]["id"], *re.findall(r"\{(\w+)\}", root_pk)]
    return Saga(spec["name"], spec["root"]["id"], stages, spec.get("request") or {}, always)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def expected_input(saga: Saga, step: Step, request: dict) -> dict:
    """The `input` the state machine passes `step` on the happy path, from
    the spec: its declared request fields and earlier outputs, or by
    default all of both; the saga id and the root key's fields always."""
    stage = next(i for i, st in enumerate(saga.stages) if step in st.steps)
    earlier = [s for st in saga.stages[:stage] for s in st.steps if s.writes]
    if step.input is None:
        fields, outputs = list(request), [s.name for s in earlier]
    else:
        fields = [e for e in step.input if e in request]
        outputs = [e for e in step.input if e not in request]
    fields = set(fields) | {f for f in saga.always if f in request}
    out = {f: v for f, v in request.items() if f in fields}
    for name in outputs:
        out[_snake(name)] = "<output>"
    return out


# --------------------------------------------------------------------------
# Injected outcomes: what each Task answers in a test case


class Responses:
    def __init__(self, mock: dict, machine: str, case: str):
        names = mock["StateMachines"][machine]["TestCases"][case]
        self.by_state = {}
        for state, response in names.items():
            attempts = {}
            for key, answer in mock["MockedResponses"][response].items():
                lo, _, hi = key.partition("-")
                for n in range(int(lo), int(hi or lo) + 1):
                    attempts[n] = answer
            self.by_state[state] = attempts

    def error(self, state: str, retriers: list[tuple[list[str], int]]) -> str | None:
        """The error the state finally fails with after its retriers, or None."""
        used = [0] * len(retriers)
        attempt = 0
        while True:
            answer = self.by_state[state][attempt]
            if "Return" in answer:
                return None
            error = answer["Throw"]["Error"]
            for i, (errors, max_attempts) in enumerate(retriers):
                if error in errors or "States.ALL" in errors:
                    if used[i] < max_attempts:
                        used[i] += 1
                        attempt += 1
                        break
                    return error
            else:
                return error

    def fails_first(self, state: str) -> str | None:
        answer = self.by_state.get(state, {}).get(0, {})
        return answer.get("Throw", {}).get("Error")


def step_retriers(step: Step) -> list[tuple[list[str], int]]:
    if step.kind == "pivot":
        # Definite failures are not retried; everything else is, until the
        # outcome is known.
        return [(step.errors + [INVALID_PAYLOAD], 0), (["States.ALL"], step.retry.attempts)]
    extra = ["States.Timeout"] if step.kind == "retriable" else []
    return [(step.retry.errors + extra + [TRANSIENT] + LAMBDA_ERRORS, step.retry.attempts)]


def compensation_retriers(step: Step) -> list[tuple[list[str], int]]:
    r = step.compensation_retry
    return [(r.errors + ["States.Timeout", TRANSIENT] + LAMBDA_ERRORS, r.attempts)]


RECORD_RETRIERS = [(DYNAMODB_TRANSIENT, 5), ([CANCELED], 2)]


# --------------------------------------------------------------------------
# The expected path


@dataclass
class Expected:
    states: list[str]
    status: str
    error: str | None


def expected_path(saga: Saga, r: Responses) -> Expected:
    seq = ["RecordStarted"]
    error = r.error("RecordStarted", RECORD_RETRIERS)
    if error:
        # Any failure of a root write, a saga id in use included, ends in
        # its own Fail state with Saga.RootWriteFailed.
        return Expected(seq + ["RecordStarted.Failed"], "FAILED", ROOT_WRITE_FAILED)

    def compensate(stage_index: int, first: list[Step], outcomes: dict[str, str | None]):
        """Compensations from `first` (steps of the failing stage), then every
        earlier stage, last first; then the outcome states."""
        entered = False
        failed = False
        stages = [(stage_index, first)] + [
            (i, saga.stages[i].steps) for i in range(stage_index - 1, -1, -1)
        ]
        for i, steps in stages:
            stage = saga.stages[i]
            for step in reversed(steps):
                if not step.compensation:
                    continue
                if stage.parallel:
                    seq.append(f"{step.compensation}.Needed")
                    entered = True
                    error = outcomes.get(step.name)
                    if error is not None and error in step.errors:
                        continue  # failed for a business reason: nothing happened
                seq.append(step.compensation)
                entered = True
                if r.error(step.compensation, compensation_retriers(step)):
                    failed = True
        if entered:
            seq.append("CompensationOutcome")
        if failed:
            seq.extend(["RecordCompensationFailed", "CompensationFailed"])
            return Expected(seq, "FAILED", "Saga.CompensationFailed")
        seq.extend(["RecordFailed", "RolledBack"])
        return Expected(seq, "FAILED", "Saga.RolledBack")

    outcomes: dict[str, str | None] = {}  # step -> None (completed) or its error
    for index, stage in enumerate(saga.stages):
        if stage.parallel:
            seq.append(stage.name)
            for step in stage.steps:
                seq.append(step.name)
                outcomes[step.name] = r.error(step.name, step_retriers(step))
                if outcomes[step.name] is not None:
                    seq.append(f"{step.name}.Caught")
            seq.append(f"{stage.name}.Joined")
            if any(outcomes[s.name] is not None for s in stage.steps):
                return compensate(index, stage.steps, outcomes)
            continue
        step = stage.steps[0]
        seq.append(step.name)
        error = r.error(step.name, step_retriers(step))
        outcomes[step.name] = error
        if error is None:
            continue
        if step.kind == "retriable":
            seq.extend(["RecordRetriesExhausted", "RetriesExhausted"])
            return Expected(seq, "FAILED", "Saga.RetriesExhausted")
        if step.kind == "pivot" and error not in step.errors + [INVALID_PAYLOAD]:
            # Still unknown after every retry: it may have committed, so
            # nothing is compensated.
            seq.extend(["RecordPivotUnknown", "PivotUnknown"])
            return Expected(seq, "FAILED", "Saga.PivotUnknown")
        ambiguous = error not in step.errors
        first = [step] if ambiguous and step.kind == "compensatable" else []
        return compensate(index, first, outcomes)

    seq.append("RecordSucceeded")
    error = r.error("RecordSucceeded", RECORD_RETRIERS)
    if error == CANCELED:
        seq.append("Succeeded")
    elif error:
        return Expected(seq + ["RecordSucceeded.Failed"], "FAILED", ROOT_WRITE_FAILED)
    return Expected(seq, "SUCCEEDED", None)


# --------------------------------------------------------------------------
# Building every spec once


class Built:
    def __init__(self, spec: Path, out: Path):
        self.spec = spec
        self.out = out
        self.saga = load_saga(spec)
        self.definition = json.loads((out / "statemachine.asl.json").read_text())
        self.mock = json.loads((out / "sfn-mock-config.json").read_text())
        self.input = json.loads((out / "sample-input.json").read_text())
        (self.machine,) = self.mock["StateMachines"]

    def cases(self) -> list[str]:
        return list(self.mock["StateMachines"][self.machine]["TestCases"])

    def run(self, case: str):
        return run(
            self.definition, self.mock, self.machine, case, self.input,
            execution_name=self.input["request"][self.saga.id_field],
        )


_BUILD_DIR = Path(tempfile.mkdtemp(prefix="sagac-asl-"))
_BUILT: dict[str, Built | str] = {}


def _build(spec: Path) -> Built | str:
    key = str(spec)
    if key not in _BUILT:
        if not SAGAC.exists():
            _BUILT[key] = f"{SAGAC} not found: build it first (cargo build -p sagac)"
        else:
            out = _BUILD_DIR / spec.name.removesuffix(".saga.yaml")
            p = subprocess.run([str(SAGAC), "build", str(spec), "--out", str(out)],
                               capture_output=True, text=True, cwd=ROOT)
            if p.returncode != 0:
                _BUILT[key] = f"sagac build {spec.relative_to(ROOT)} exited {p.returncode}:\n{p.stderr}"
            else:
                _BUILT[key] = Built(spec, out)
    return _BUILT[key]


def built(spec: Path) -> Built:
    b = _build(spec)
    if isinstance(b, str):
        pytest.fail(b)
    return b


def _case_params():
    params = []
    for spec in SPECS:
        b = _build(spec)
        cases = b.cases() if isinstance(b, Built) else ["<build>"]
        params += [pytest.param(spec, c, id=f"{spec.stem.removesuffix('.saga')}/{c}") for c in cases]
    return params


def teardown_module(module):
    shutil.rmtree(_BUILD_DIR, ignore_errors=True)


SPEC_IDS = [s.stem.removesuffix(".saga") for s in SPECS]


# --------------------------------------------------------------------------
# Tests


def test_specs_found():
    assert any(s.name == "trip.saga.yaml" for s in SPECS)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_asl_validator_accepts_the_definition(spec):
    b = built(spec)
    validator = None
    for cand in (TOOLS / "node" / "node_modules" / ".bin" / "asl-validator",
                 TOOLS / "bin" / "asl-validator"):
        if cand.exists():
            validator = cand
            break
    validator = validator or shutil.which("asl-validator")
    assert validator, "asl-validator not installed: run scripts/setup-tools.sh"
    # Placeholders become ARNs, as DefinitionSubstitutions would make them.
    text = PLACEHOLDER.sub(
        lambda m: f"arn:aws:lambda:us-east-1:123456789012:function:{m.group(1)}",
        (b.out / "statemachine.asl.json").read_text(),
    )
    resolved = b.out / "resolved.asl.json"
    resolved.write_text(text)
    p = subprocess.run([str(validator), "--json-path", str(resolved)], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.parametrize("spec,case", _case_params())
def test_mock_case_follows_the_saga_semantics(spec, case):
    b = built(spec)
    expected = expected_path(b.saga, Responses(b.mock, b.machine, case))
    result = b.run(case)
    assert result.entered_states == expected.states, (
        f"{case}: entered\n  {result.entered_states}\nexpected\n  {expected.states}")
    assert result.status == expected.status, (result.status, result.error, result.cause)
    assert result.error == expected.error


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_mock_config_covers_every_failure_point(spec):
    b = built(spec)
    cases = b.mock["StateMachines"][b.machine]["TestCases"]
    assert "HappyPath" in cases
    responses = [Responses(b.mock, b.machine, c) for c in cases]
    happy = Responses(b.mock, b.machine, "HappyPath")
    for state in happy.by_state:
        assert happy.fails_first(state) is None, f"HappyPath makes {state} fail"
    missing = []
    for step in b.saga.steps():
        firsts = [r.fails_first(step.name) for r in responses]
        if step.kind != "retriable" and step.errors and not any(e in step.errors for e in firsts):
            missing.append(f"{step.name} failing with a business error")
        ambiguous = [e for e in firsts if e is not None and e not in step.errors]
        if not any(r.error(step.name, step_retriers(step)) for r in responses
                   if r.fails_first(step.name) in ambiguous):
            missing.append(f"{step.name} failing ambiguously (or after its retries)")
        if step.retry.attempts > 0 and not any(
                r.fails_first(step.name) and r.error(step.name, step_retriers(step)) is None
                for r in responses):
            missing.append(f"{step.name}: a transient error, then success")
        if step.compensation and not any(
                r.error(step.compensation, compensation_retriers(step)) for r in responses):
            missing.append(f"{step.compensation} failing after its retries")
        if step.kind == "pivot" and step.retry.attempts > 0:
            # An ambiguous first attempt whose retry makes the outcome definite.
            timeouts = [r for r in responses if r.fails_first(step.name) == "States.Timeout"]
            if not any(r.error(step.name, step_retriers(step)) is None for r in timeouts):
                missing.append(f"{step.name} timing out, then succeeding on a retry")
            if step.errors and not any(
                    r.error(step.name, step_retriers(step)) in step.errors for r in timeouts):
                missing.append(f"{step.name} timing out, then failing for a business reason")
    assert not missing, "no test case for: " + "; ".join(missing)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_every_lambda_gets_only_its_input(spec):
    b = built(spec)
    result = b.run("HappyPath")
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    order = [s.name for s in b.saga.steps()]
    saga_id = b.input["request"][b.saga.id_field]
    for event in result.events("TaskScheduled"):
        details = event["taskScheduledEventDetails"]
        params = json.loads(details["parameters"])
        if "FunctionName" not in params:
            continue  # the root writes
        payload = params["Payload"]
        state = payload["State"]["Name"]
        step = next(s for s in b.saga.steps() if s.name == state)
        pascal = "".join(w[:1].upper() + w[1:] for w in re.split(r"[-_]", step.service))
        # The alias ARN comes in through the ${<Service>FunctionAlias} placeholder.
        assert params["FunctionName"].endswith(f":{pascal}FunctionAlias"), params["FunctionName"]
        assert payload["Execution"]["Name"] == saga_id
        # Least data: the context fields, never the execution input.
        assert "Input" not in payload["Execution"], state
        assert sorted(payload) == sorted(
            k for k in ["Execution", "State", "StateMachine", "input"] if k in payload
        ), (state, sorted(payload))
        expected = expected_input(b.saga, step, b.input["request"])
        received = {k: ("<output>" if k not in b.input["request"] else v)
                    for k, v in payload["input"].items()}
        assert received == expected, (state, received, expected)
        # The sample event of the action has the same shape.
        action = json.loads((b.out / "events" / step.service / f"{_action(b, step)}.json").read_text())
        assert sorted(action) == sorted(payload), state
        assert sorted(action["input"]) == sorted(payload["input"]), state


_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _seconds(text: str) -> int:
    m = re.fullmatch(r"(\d+)(ms|s|m|h|d)", str(text).strip())
    assert m, text
    return int(int(m.group(1)) * _UNITS[m.group(2)])


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_every_outbox_item_the_state_machine_writes_has_its_ttl(spec):
    """The root writes (JSONata states) put their outbox items with the TTL
    attribute of the table: epoch seconds of the state's entry plus
    `outbox.ttl`, and a ClientRequestToken that is the MD5 of execution and
    state name, as moto's interpreter evaluates them."""
    import hashlib
    import time

    b = built(spec)
    raw = read_spec(spec)
    ttl_attribute = (raw.get("table") or {}).get("ttl")
    outbox = raw.get("outbox") or {}
    ttl = _seconds(outbox.get("ttl", "7d"))
    prefix = str(outbox.get("sk", "OUTBOX#{event_id}")).split("{", 1)[0]
    sk = (raw.get("table") or {}).get("sk", "SK")
    before = time.time()
    result = b.run("HappyPath")
    after = time.time()
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    saga_id = b.input["request"][b.saga.id_field]
    writes = 0
    for event in result.events("TaskScheduled"):
        params = json.loads(event["taskScheduledEventDetails"]["parameters"])
        if "TransactItems" not in params:
            continue
        state = _state_of_scheduled(event, result)
        token = hashlib.md5(f"{saga_id}#{state}".encode()).hexdigest()
        assert params["ClientRequestToken"] == token, (state, params["ClientRequestToken"])
        for item in params["TransactItems"]:
            put = item.get("Put", {}).get("Item", {})
            if not put.get(sk, {}).get("S", "").startswith(prefix):
                continue
            writes += 1
            if ttl_attribute is None:
                assert not any("N" in v and k != "version" for k, v in put.items()
                               if isinstance(v, dict) and k not in ("payload",)), put
                continue
            assert ttl_attribute in put, (state, sorted(put))
            expires = int(put[ttl_attribute]["N"])
            assert int(before) + ttl - 1 <= expires <= int(after) + ttl + 1, (state, expires)
    # RecordSucceeded's event, and RecordStarted's when the root has a start event.
    assert writes in (1, 2), f"{writes} outbox items written by the root writes"


def _state_of_scheduled(event: dict, result) -> str:
    from harness import _state_of

    return _state_of(event, result.history)


def _action(b: Built, step: Step) -> str:
    spec = read_spec(b.spec)
    for entry in spec["steps"]:
        for raw in entry["parallel"]["branches"] if "parallel" in entry else [entry]:
            if raw["name"] == step.name:
                return raw["action"]
    raise KeyError(step.name)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_compensations_see_what_they_undo(spec):
    """On each compensation-failure path, the compensation receives the
    output of its step when that step completed, and the failure that
    triggered the rollback."""
    b = built(spec)
    for case in b.cases():
        r = Responses(b.mock, b.machine, case)
        result = None
        for step in b.saga.steps():
            if not step.compensation or not r.fails_first(step.compensation):
                continue
            result = result or b.run(case)
            scheduled = [json.loads(e["taskScheduledEventDetails"]["parameters"])
                         for e in result.events("TaskScheduled")]
            payloads = [p["Payload"] for p in scheduled
                        if isinstance(p.get("Payload"), dict)
                        and p["Payload"].get("State", {}).get("Name") == step.compensation]
            assert payloads, f"{case}: {step.compensation} never ran"
            payload = payloads[0]
            completed = r.error(step.name, step_retriers(step)) is None
            if completed and step.writes:
                assert _snake(step.name) in payload["input"], (case, step.name)
            assert "Input" not in payload["Execution"], case


def test_task_states_of_the_reference_are_mocked_in_every_case():
    b = built(ROOT / "spec" / "trip.saga.yaml")
    tasks = set(task_states(b.definition))
    for case, mocks in b.mock["StateMachines"][b.machine]["TestCases"].items():
        assert set(mocks) == tasks, case
