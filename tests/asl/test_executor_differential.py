"""Differential test: sagac's executor (`sagac run --definition ... --format
json`) against moto's Step Functions interpreter (harness.py `run()`).

For every spec in spec/ and spec/examples/ (built with `sagac build` into a
temporary directory) and every test case of its generated mock configuration,
and for the hand-written definitions in fixtures/executor/ (each with a mock
configuration and `<name>.inputs.json`: test case -> labelled inputs), both run
the same definition with the same mocks, input and execution name, and must
agree on:

* the states entered, in order (Parallel branches and Map iterations too);
* the status (SUCCEEDED / FAILED / TIMED_OUT);
* the output (as JSON) when it succeeded, the error and cause when it failed.

Where moto deviates from AWS, the executor follows AWS: DEVIATIONS below lists
each such case with the reason, and the test asserts both sides' known values
so that a change on either side is noticed.

The sagac binary is $SAGAC_BIN, else target/debug/sagac (built with cargo when
missing).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from harness import run, substitute

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "executor"
SPECS = sorted([*ROOT.glob("spec/*.saga.yaml"), *ROOT.glob("spec/examples/*.saga.yaml")])
HAND_WRITTEN = sorted(p.name[: -len(".asl.json")] for p in FIXTURES.glob("*.asl.json"))

# (fixture, test case, input label) -> (reason, what the executor gives (AWS),
# what moto gives). Each entry is checked, not skipped.
PATHS_PREFIX = ["Select", "Nothing", "Discard", "Shape", "Kind"]
MOTO_TIMESTAMPS = (
    "moto parses Choice timestamps only as %Y-%m-%dT%H:%M:%SZ (no fractional seconds, no "
    "offset); AWS takes RFC 3339 with both"
)
MOTO_NO_CHOICE = (
    "moto fails a Choice without a match or Default with States.Runtime (a Python "
    "RuntimeError); AWS names it States.NoChoiceMatched"
)
DEVIATIONS: dict[tuple[str, str, str], tuple[str, dict, dict]] = {
    ("paths", "NoTasks", "t-late"): (
        MOTO_TIMESTAMPS,
        {"entered": [*PATHS_PREFIX, "Times", "Big"], "status": "SUCCEEDED", "output": "big"},
        {"entered": [*PATHS_PREFIX, "Times", "Other"], "status": "SUCCEEDED"},
    ),
    ("paths", "NoTasks", "t-early"): (
        MOTO_TIMESTAMPS,
        {"entered": [*PATHS_PREFIX, "Times", "Small"], "status": "SUCCEEDED", "output": "small"},
        {"entered": [*PATHS_PREFIX, "Times"], "status": "FAILED", "error": "States.Runtime"},
    ),
    ("paths", "NoTasks", "ty-none"): (
        MOTO_NO_CHOICE,
        {"entered": [*PATHS_PREFIX, "Types", "NoMatch"], "status": "FAILED", "error": "States.NoChoiceMatched"},
        {"entered": [*PATHS_PREFIX, "Types", "NoMatch"], "status": "FAILED", "error": "States.Runtime"},
    ),
    ("paths", "NoTasks", "default"): (
        MOTO_NO_CHOICE,
        {"entered": [*PATHS_PREFIX, "NoMatch"], "status": "FAILED", "error": "States.NoChoiceMatched"},
        {"entered": [*PATHS_PREFIX, "NoMatch"], "status": "FAILED", "error": "States.Runtime"},
    ),
    ("paths", "NoTasks", "missing-variable"): (
        "a Choice rule whose Variable matches nothing fails the execution on AWS (States.Runtime: "
        "\"The choice state's condition path references an invalid value\"); moto takes the rule "
        "as false and goes to Default",
        {"entered": [*PATHS_PREFIX, "MissingVariable"], "status": "FAILED", "error": "States.Runtime"},
        {"entered": [*PATHS_PREFIX, "MissingVariable", "Other"], "status": "SUCCEEDED"},
    ),
    ("paths", "NoTasks", "bad-resultpath"): (
        "a ResultPath that cannot be applied is States.ResultPathMatchFailure on AWS (and in the "
        "ASL specification); moto surfaces a Python TypeError as States.Runtime",
        {"entered": [*PATHS_PREFIX, "BadResultPath"], "status": "FAILED",
         "error": "States.ResultPathMatchFailure"},
        {"entered": [*PATHS_PREFIX, "BadResultPath"], "status": "FAILED", "error": "States.Runtime"},
    ),
    ("intrinsic-edges", "NoTasks", "edges"): (
        "moto's intrinsic parser silently mangles the escapes \\' and \\{ in a string literal "
        "(States.Format gives 'it\\\\\\\\') and drops a null argument (States.Array(1, null) gives "
        "[1]), and States.ArrayUnique fails on objects (Python: unhashable dict); AWS does all three",
        {"entered": ["Escapes", "NullArgument", "UniqueObjects"], "status": "SUCCEEDED",
         "output": {"who": "ann", "objects": [{"a": 1}, {"a": 1}, {"b": 2}],
                    "escapes": {"v": "it's {not} a placeholder: ann"},
                    "nulls": {"v": [1, None]}, "unique": {"v": [{"a": 1}, {"b": 2}]}}},
        {"entered": ["Escapes", "NullArgument", "UniqueObjects"], "status": "FAILED",
         "error": "States.Runtime"},
    ),
}


def sagac_bin() -> Path:
    env = os.environ.get("SAGAC_BIN")
    if env:
        return Path(env)
    path = ROOT / "target" / "debug" / "sagac"
    if not path.exists():
        subprocess.run(["cargo", "build", "-q", "-p", "sagac"], cwd=ROOT, check=True)
    return path


@pytest.fixture(scope="module")
def sagac() -> Path:
    return sagac_bin()


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="sagac-differential-") as d:
        yield Path(d)


def run_executor(sagac: Path, definition: Path, mock: Path, machine: str, case: str,
                 inp: dict, name: str, workdir: Path) -> dict:
    input_file = workdir / f"{name}.input.json"
    input_file.write_text(json.dumps(inp))
    proc = subprocess.run(
        [str(sagac), "run", "--definition", str(definition), "--mock-config", str(mock),
         "--state-machine", machine, "--case", case, "--input", str(input_file),
         "--name", name, "--format", "json"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode in (0, 1), f"sagac run exited {proc.returncode}: {proc.stderr}"
    result = json.loads(proc.stdout)
    assert (proc.returncode == 0) == (result["status"] == "SUCCEEDED"), "exit code and status disagree"
    return result


def observed_executor(result: dict) -> dict:
    return {
        "entered": [e["stateEnteredEventDetails"]["name"] for e in result["events"]
                    if "stateEnteredEventDetails" in e],
        "status": result["status"],
        "output": json.loads(result["output"]) if "output" in result else None,
        "error": result.get("error"),
        "cause": result.get("cause"),
    }


def observed_moto(r) -> dict:
    return {
        "entered": r.entered_states,
        "status": r.status,
        "output": r.output,
        "error": r.error,
        "cause": r.cause,
    }


def compare(key, executor: dict, moto: dict) -> list[str]:
    """Differences, as readable lines (empty when they agree)."""
    if key in DEVIATIONS:
        reason, ours, theirs = DEVIATIONS[key]
        problems = []
        for k, v in ours.items():
            if executor.get(k) != v:
                problems.append(f"{key}: executor {k}={executor.get(k)!r}, expected {v!r} ({reason})")
        for k, v in theirs.items():
            if moto.get(k) != v:
                problems.append(f"{key}: moto {k}={moto.get(k)!r}, the known deviation says {v!r} ({reason})")
        return problems
    problems = []
    for k in ("entered", "status"):
        if executor[k] != moto[k]:
            problems.append(f"{key}: {k} differs\n  executor: {executor[k]}\n  moto:     {moto[k]}")
    if executor["status"] == "SUCCEEDED" and executor["output"] != moto["output"]:
        problems.append(f"{key}: output differs\n  executor: {json.dumps(executor['output'])}\n"
                        f"  moto:     {json.dumps(moto['output'])}")
    if executor["status"] == "FAILED":
        if executor["error"] != moto["error"]:
            problems.append(f"{key}: error differs\n  executor: {executor['error']!r}\n  moto:     {moto['error']!r}")
        ours, theirs = executor["cause"], moto["cause"]
        if (executor["error"] or "").startswith("States."):
            # Causes the interpreter writes itself: the same first sentence
            # ("An error occurred while executing the state 'X' (entered at
            # the event id #N)."); the rest quotes the input, which moto
            # prints with Python's separators.
            ours, theirs = first_sentence(ours), first_sentence(theirs)
        if ours != theirs:
            problems.append(f"{key}: cause differs\n  executor: {ours!r}\n  moto:     {theirs!r}")
    return problems


def first_sentence(cause: str | None) -> str | None:
    return cause.split("). ", 1)[0] if cause else cause


def differential(sagac: Path, workdir: Path, label: str, definition: dict, mock: dict,
                 runs: list[tuple[str, str, dict]]) -> tuple[int, list[str]]:
    """Runs every (case, input label, input) both ways; returns the count and the problems."""
    text = substitute(definition)
    definition_file = workdir / f"{label}.asl.json"
    definition_file.write_text(text)
    mock_file = workdir / f"{label}.mock-config.json"
    mock_file.write_text(json.dumps(mock))
    machines = list(mock["StateMachines"])
    assert len(machines) == 1, f"{label}: one state machine per mock configuration"
    machine = machines[0]
    problems = []
    for case, input_label, inp in runs:
        name = f"diff-{case}-{input_label}"[:80]
        ours = observed_executor(
            run_executor(sagac, definition_file, mock_file, machine, case, inp, name, workdir))
        theirs = observed_moto(run(json.loads(text), mock, machine, case, inp, execution_name=name))
        problems += compare((label, case, input_label), ours, theirs)
    return len(runs), problems


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_generated_spec_every_mock_case(spec: Path, sagac: Path, workdir: Path) -> None:
    out = workdir / spec.name
    build = subprocess.run([str(sagac), "build", str(spec), "--out", str(out)],
                           capture_output=True, text=True, check=False)
    assert build.returncode == 0, build.stderr
    definition = json.loads((out / "statemachine.asl.json").read_text())
    mock = json.loads((out / "sfn-mock-config.json").read_text())
    inp = json.loads((out / "sample-input.json").read_text())
    machine = next(iter(mock["StateMachines"]))
    cases = list(mock["StateMachines"][machine]["TestCases"])
    assert cases, "the mock configuration has test cases"
    count, problems = differential(sagac, workdir, spec.name, definition, mock,
                                   [(case, "sample", inp) for case in cases])
    assert count == len(cases)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("fixture", HAND_WRITTEN)
def test_hand_written_definition(fixture: str, sagac: Path, workdir: Path) -> None:
    definition = json.loads((FIXTURES / f"{fixture}.asl.json").read_text())
    mock = json.loads((FIXTURES / f"{fixture}.mock-config.json").read_text())
    inputs = json.loads((FIXTURES / f"{fixture}.inputs.json").read_text())
    runs = [(case, item["label"], item["input"]) for case, items in inputs.items() for item in items]
    machine = next(iter(mock["StateMachines"]))
    assert set(inputs) == set(mock["StateMachines"][machine]["TestCases"]), \
        "every test case has inputs, and every input a test case"
    _, problems = differential(sagac, workdir, fixture, definition, mock, runs)
    assert not problems, "\n".join(problems)


def test_harness_trip_saga_fixture(sagac: Path, workdir: Path) -> None:
    """The hand-written saga that proves harness.py (fixtures/trip-saga.*)."""
    fixtures = FIXTURES.parent
    definition = json.loads((fixtures / "trip-saga.asl.json").read_text())
    mock = json.loads((fixtures / "trip-saga.mock-config.json").read_text())
    inp = json.loads((fixtures / "trip-input.json").read_text())
    machine = next(iter(mock["StateMachines"]))
    cases = list(mock["StateMachines"][machine]["TestCases"])
    count, problems = differential(sagac, workdir, "trip-saga", definition, mock,
                                   [(case, "trip", inp) for case in cases])
    assert count >= 7
    assert not problems, "\n".join(problems)


def test_fixtures_cover_every_state_type() -> None:
    types: set[str] = set()

    def walk(states: dict) -> None:
        for state in states.values():
            types.add(state["Type"])
            for branch in state.get("Branches", []):
                walk(branch["States"])
            if "ItemProcessor" in state:
                walk(state["ItemProcessor"]["States"])

    for fixture in HAND_WRITTEN:
        walk(json.loads((FIXTURES / f"{fixture}.asl.json").read_text())["States"])
    assert types == {"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}
