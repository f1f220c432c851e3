"""Proves tests/asl/harness.py: a hand-written saga ASL run in moto's interpreter
with a Step Functions Local mock config, asserting exact entered-state paths."""

import json
import time
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness import HarnessError, run, substitute, task_states

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SM = "TripSaga"

FORWARD_ALL = ["ReserveFlight", "ReserveHotel", "ReserveExtras", "ReserveCar", "ChargePayment"]
HAPPY = FORWARD_ALL + ["TripBooked"]


@pytest.fixture
def trip(trip_definition, trip_mock_config, trip_input):
    def _run(case, **kw):
        return run(trip_definition, trip_mock_config, SM, case, trip_input, **kw)

    return _run


def scheduled_payloads(result, function_suffix):
    """Payloads sent to the Lambda whose FunctionName ends with function_suffix."""
    out = []
    for e in result.events("TaskScheduled"):
        params = json.loads(e["taskScheduledEventDetails"]["parameters"])
        if params["FunctionName"].endswith(function_suffix):
            out.append(params["Payload"])
    return out


def state_input(result, name):
    e = next(e for e in result.history
             if e.get("stateEnteredEventDetails", {}).get("name") == name)
    return json.loads(e["stateEnteredEventDetails"]["input"])


# --- the saga paths ---------------------------------------------------------


def test_happy_path(trip):
    r = trip("HappyPath")
    assert r.status == "SUCCEEDED"
    assert r.entered_states == HAPPY
    assert r.exited_states == ["ReserveFlight", "ReserveHotel", "ReserveCar", "ChargePayment",
                               "ReserveExtras", "TripBooked"]
    assert r.error is None and r.retry_sleeps == [] and r.task_errors() == []
    # ResultSelector + ResultPath shaped the output; input fields are kept.
    assert r.output["tripId"] == "trip-42"
    assert r.output["results"]["reserveFlight"] == {
        "result": {"reservationId": "FL-1", "status": "RESERVED"}, "statusCode": 200}
    assert r.output["results"]["reserveHotel"]["result"]["reservationId"] == "HO-1"
    assert r.output["results"]["extras"] == {
        "car": {"reservationId": "CA-1", "status": "RESERVED"},
        "payment": {"paymentId": "PA-1", "status": "CHARGED"},
    }


def test_business_failure_first_step_compensates_nothing(trip):
    r = trip("FlightNoSeats")
    assert r.status == "FAILED"
    assert r.entered_states == ["ReserveFlight", "SagaFailed"]
    assert (r.error, r.cause) == ("TripSagaFailed", "a forward step failed; compensations ran")
    assert r.task_errors() == [("ReserveFlight", "NoSeatsAvailable")]
    assert r.retry_sleeps == []  # a business error is not retried
    err = state_input(r, "SagaFailed")["error"]
    assert err["Error"] == "NoSeatsAvailable"
    assert json.loads(err["Cause"]) == {"errorMessage": "no seats left on the flight"}


def test_business_failure_second_step_compensates_first(trip):
    r = trip("HotelFullyBooked")
    assert r.status == "FAILED"
    assert r.entered_states == ["ReserveFlight", "ReserveHotel", "CancelFlight", "SagaFailed"]
    assert r.task_errors() == [("ReserveHotel", "HotelFullyBooked")]


def test_failure_inside_parallel_branch_compensates_in_reverse(trip):
    r = trip("PaymentDeclined")
    assert r.status == "FAILED"
    assert r.entered_states == FORWARD_ALL + ["CancelHotel", "CancelFlight", "SagaFailed"]
    assert r.task_errors() == [("ChargePayment", "PaymentDeclined")]
    assert state_input(r, "CancelHotel")["error"] == {"Error": "PaymentDeclined",
                                                      "Cause": "card declined"}


def test_transient_error_then_success_is_retried_in_place(trip):
    r = trip("FlightTransientThenOk")
    assert r.status == "SUCCEEDED"
    # A retry does not re-enter the state: same path as the happy one.
    assert r.entered_states == HAPPY
    assert r.task_errors() == [("ReserveFlight", "Lambda.ServiceException")]
    assert len(scheduled_payloads(r, ":ReserveFlightFunctionArn")) == 2
    # JitterStrategy FULL: the single sleep is uniform in [0, IntervalSeconds=1].
    assert len(r.retry_sleeps) == 1 and 0 <= r.retry_sleeps[0] <= 1


def test_transient_error_exhausts_retries_then_catch(trip):
    r = trip("FlightTransientExhausted")
    assert r.status == "FAILED"
    assert r.entered_states == ["ReserveFlight", "SagaFailed"]
    # MaxAttempts 3 => 4 attempts; backoff 1, 2, 4 s (BackoffRate 2), each jittered.
    assert [e for _, e in r.task_errors()] == ["Lambda.TooManyRequestsException"] * 4
    assert len(r.retry_sleeps) == 3
    for sleep, cap in zip(r.retry_sleeps, [1, 2, 4]):
        assert 0 <= sleep <= cap


def test_compensation_retried_on_any_error(trip):
    r = trip("CancelHotelRetried")
    assert r.status == "FAILED"
    assert r.entered_states == FORWARD_ALL + ["CancelHotel", "CancelFlight", "SagaFailed"]
    # A mocked Throw of a reserved States.* name keeps its name (harness patch).
    assert r.task_errors() == [("ChargePayment", "PaymentDeclined"),
                               ("CancelHotel", "Lambda.ServiceException"),
                               ("CancelHotel", "States.TaskFailed")]
    assert r.output is None


def test_payload_carries_context_object_via_jsonmerge(trip):
    r = trip("HappyPath")
    [payload] = scheduled_payloads(r, ":ReserveHotelFunctionArn")
    # States.JsonMerge($$, $, false): context object fields + the state input.
    assert payload["Execution"]["Id"] == r.execution_arn
    assert payload["Execution"]["Input"]["tripId"] == "trip-42"
    assert payload["StateMachine"]["Name"] == SM
    assert payload["State"]["Name"] == "ReserveHotel"
    assert payload["State"]["RetryCount"] == 0
    assert payload["tripId"] == "trip-42"
    assert payload["results"]["reserveFlight"]["result"]["reservationId"] == "FL-1"


def test_retry_count_in_context_on_retry(trip):
    r = trip("FlightTransientThenOk")
    counts = [p["State"]["RetryCount"]
              for p in scheduled_payloads(r, ":ReserveFlightFunctionArn")]
    assert counts == [0, 1]


def test_concurrent_branches_same_states(trip):
    r = trip("HappyPath", parallel="concurrent")
    assert r.status == "SUCCEEDED"
    assert r.entered_states[:3] == HAPPY[:3]
    assert sorted(r.entered_states[3:5]) == sorted(HAPPY[3:5])
    assert r.entered_states[5:] == HAPPY[5:]


def test_runs_are_isolated(trip):
    first = trip("PaymentDeclined")
    second = trip("HappyPath")
    assert second.status == "SUCCEEDED" and first.status == "FAILED"
    assert first.execution_arn != second.execution_arn


# --- substitutions ------------------------------------------------------------


def test_default_substitution_is_fake_lambda_arn(trip):
    r = trip("HappyPath")
    names = [json.loads(e["taskScheduledEventDetails"]["parameters"])["FunctionName"]
             for e in r.events("TaskScheduled")]
    assert names[0] == "arn:aws:lambda:us-east-1:123456789012:function:ReserveFlightFunctionArn"


def test_explicit_substitution(trip):
    alias = "arn:aws:lambda:us-east-1:123456789012:function:flight-reserve:live"
    r = trip("HappyPath", substitutions={"ReserveFlightFunctionArn": alias})
    [first] = [json.loads(e["taskScheduledEventDetails"]["parameters"])["FunctionName"]
               for e in r.events("TaskScheduled")][:1]
    assert first == alias


def test_substitute_escapes_for_json():
    text = substitute({"A": "${X}", "B": "$.y", "C": "${Y}"}, {"X": 'quote"d'})
    assert json.loads(text) == {
        "A": 'quote"d', "B": "$.y",
        "C": "arn:aws:lambda:us-east-1:123456789012:function:Y"}


def test_task_states_finds_nested(trip_definition):
    assert sorted(task_states(trip_definition)) == sorted(
        ["ReserveFlight", "ReserveHotel", "ReserveCar", "ChargePayment", "CancelHotel",
         "CancelFlight"])


# --- harness errors (bad inputs are not execution failures) -------------------

LAMBDA_ONE = {"StartAt": "A", "States": {"A": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "${Fn}", "Payload.$": "$"}, "End": True}}}


def one_case(responses, states=None):
    case = {"A": "R"} if states is None else states
    return {"StateMachines": {"M": {"TestCases": {"T": case}}}, "MockedResponses": responses}


@pytest.mark.parametrize("responses, message", [
    ({"R": {"0": {"Return": {"id": 1}}}}, "full Invoke response"),
    ({"R": {"0": {"Return": {"StatusCode": 200, "FunctionError": "Unhandled",
                             "Payload": {"errorType": "X"}}}}}, "Throw"),
    ({"R": {"0": {}}}, "exactly one of Return or Throw"),
    ({"R": {"0": {"Throw": {"Cause": "no error name"}}}}, "string Error"),
    ({"R": {"1": {"Return": {"StatusCode": 200, "Payload": {}}}}}, "consecutively"),
    ({"R": {"x": {"Return": {"StatusCode": 200, "Payload": {}}}}}, "bad attempt range"),
    ({}, "not defined under MockedResponses"),
])
def test_bad_mock_files_are_rejected(responses, message):
    with pytest.raises(HarnessError, match=message):
        run(LAMBDA_ONE, one_case(responses), "M", "T", {})


def test_unknown_state_in_test_case_is_rejected():
    ok = {"R": {"0": {"Return": {"StatusCode": 200, "Payload": {}}}}}
    with pytest.raises(HarnessError, match="not a Task state"):
        run(LAMBDA_ONE, one_case(ok, {"Typo": "R"}), "M", "T", {})


def test_unknown_test_case_and_machine_are_rejected(trip_definition, trip_mock_config):
    with pytest.raises(HarnessError, match="no test case 'Nope'"):
        run(trip_definition, trip_mock_config, SM, "Nope", {})
    with pytest.raises(HarnessError, match="no StateMachines.Other"):
        run(trip_definition, trip_mock_config, "Other", "HappyPath", {})


def test_unmocked_lambda_is_an_error_not_a_call():
    with pytest.raises(HarnessError, match="Lambda invoked without a mock"):
        run(LAMBDA_ONE, one_case({}, {}), "M", "T", {})


def test_more_attempts_than_mocks_is_an_error():
    d = json.loads(json.dumps(LAMBDA_ONE))
    d["States"]["A"]["Retry"] = [{"ErrorEquals": ["Lambda.ServiceException"]}]
    resp = {"R": {"0": {"Throw": {"Error": "Lambda.ServiceException"}}}}
    with pytest.raises(HarnessError, match="retry number '1'"):
        run(d, one_case(resp), "M", "T", {})


def test_invalid_definition_is_rejected():
    with pytest.raises(HarnessError, match="rejects the definition"):
        run({"StartAt": "Missing", "States": {"A": {"Type": "Bogus"}}},
            one_case({}, {}), "M", "T", {})


# --- moto behaviours the generated ASL relies on ---------------------------------


def test_jsonata_with_datadog_context_field():
    d = {"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Arguments": {"FunctionName": "${Fn}",
                            "Payload": "{% $merge([$states.input, {'_datadog': $states.context}]) %}"},
              "Output": "{% $merge([$states.input, {'a': $states.result.Payload}]) %}",
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F",
                         "Output": "{% $merge([$states.input, {'error': $states.errorOutput}]) %}"}],
              "End": True},
        "F": {"Type": "Fail", "Error": "Failed", "Cause": "{% $states.input.error.Error %}"}}}
    ok = {"R": {"0": {"Return": {"StatusCode": 200, "Payload": {"id": "X1"}}}}}
    r = run(d, one_case(ok), "M", "T", {"k": 1})
    assert r.status == "SUCCEEDED" and r.output == {"k": 1, "a": {"id": "X1"}}
    payload = json.loads(r.events("TaskScheduled")[0]["taskScheduledEventDetails"]
                         ["parameters"])["Payload"]
    assert payload["k"] == 1 and payload["_datadog"]["State"]["Name"] == "A"

    boom = {"R": {"0": {"Throw": {"Error": "NoSeats", "Cause": "none"}}}}
    r = run(d, one_case(boom), "M", "T", {"k": 1})
    assert (r.status, r.entered_states, r.error, r.cause) == ("FAILED", ["A", "F"],
                                                              "Failed", "NoSeats")


def test_jsonata_hash_and_epoch_in_a_jsonpath_machine():
    """A JSONata state in a JSONPath machine (the root writes): moto's own
    $hash is a stub returning the text "Function $hash is currently not
    supported"; the harness gives the real digest, and $toMillis turns the
    state's EnteredTime into epoch milliseconds."""
    import hashlib

    d = {"StartAt": "W", "States": {
        "W": {"Type": "Task", "QueryLanguage": "JSONata",
              "Resource": "arn:aws:states:::aws-sdk:dynamodb:transactWriteItems",
              "Arguments": {
                  "ClientRequestToken": "{% $hash($states.context.Execution.Name & \"#\" & $states.context.State.Name, \"MD5\") %}",
                  "TransactItems": [{"Put": {"TableName": "T", "Item": {
                      "expires_at": {"N": "{% $string($floor($toMillis($states.context.State.EnteredTime) / 1000) + 60) %}"}}}}]},
              "Output": "{% $states.input %}",
              "Next": "P"},
        "P": {"Type": "Pass", "End": True}}}
    ok = {"R": {"0": {"Return": {}}}}
    mock = {"StateMachines": {"M": {"TestCases": {"T": {"W": "R"}}}}, "MockedResponses": ok}
    before = int(time.time())
    r = run(d, mock, "M", "T", {"k": 1}, execution_name="e-1")
    assert r.status == "SUCCEEDED" and r.output == {"k": 1}
    params = json.loads(r.events("TaskScheduled")[0]["taskScheduledEventDetails"]["parameters"])
    assert params["ClientRequestToken"] == hashlib.md5(b"e-1#W").hexdigest()
    expires = int(params["TransactItems"][0]["Put"]["Item"]["expires_at"]["N"])
    assert before + 59 <= expires <= int(time.time()) + 61


def test_mocked_states_timeout_is_caught_like_a_timeout():
    d = json.loads(json.dumps(LAMBDA_ONE))
    d["States"]["A"].update(TimeoutSeconds=5, Catch=[
        {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "Comp"}])
    d["States"]["Comp"] = {"Type": "Pass", "End": True}
    resp = {"R": {"0": {"Throw": {"Error": "States.Timeout", "Cause": "took too long"}}}}
    r = run(d, one_case(resp), "M", "T", {})
    assert r.entered_states == ["A", "Comp"]
    assert r.output["error"] == {"Error": "States.Timeout", "Cause": "took too long"}


def test_wait_states_do_not_wait_but_are_recorded():
    d = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    r = run(d, one_case({}, {}), "M", "T", {})
    assert r.status == "SUCCEEDED" and r.waits == [3600]


def test_variables_assign_and_choice():
    d = json.loads(json.dumps(LAMBDA_ONE))
    d["States"]["A"].update(Assign={"rid.$": "$.Payload.id"}, ResultPath="$.r", Next="C")
    del d["States"]["A"]["End"]
    d["States"]["C"] = {"Type": "Choice", "Default": "No", "Choices": [
        {"Variable": "$rid", "StringEquals": "X1", "Next": "Yes"}]}
    d["States"]["Yes"] = {"Type": "Succeed"}
    d["States"]["No"] = {"Type": "Fail"}
    ok = {"R": {"0": {"Return": {"StatusCode": 200, "Payload": {"id": "X1"}}}}}
    assert run(d, one_case(ok), "M", "T", {}).entered_states == ["A", "C", "Yes"]


# --- CLI and the other oracle ----------------------------------------------------


def cli(*args):
    return subprocess.run([sys.executable, str(HERE / "harness.py"), *args],
                          capture_output=True, text=True, timeout=120)


def test_cli_prints_status_and_states():
    fx = HERE / "fixtures"
    p = cli(str(fx / "trip-saga.asl.json"), str(fx / "trip-saga.mock-config.json"),
            "--state-machine", SM, "--test-case", "HotelFullyBooked",
            "--input", str(fx / "trip-input.json"), "--expect-status", "FAILED")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["status"] == "FAILED"
    assert out["entered_states"] == ["ReserveFlight", "ReserveHotel", "CancelFlight",
                                     "SagaFailed"]
    assert p.stderr == ""  # moto's noisy logging stays off stderr


def test_cli_bad_input_exits_2():
    fx = HERE / "fixtures"
    p = cli(str(fx / "trip-saga.asl.json"), str(fx / "trip-saga.mock-config.json"),
            "--state-machine", SM, "--test-case", "NoSuchCase")
    assert p.returncode == 2 and "no test case" in p.stderr


def _asl_validator():
    tools = Path(os.environ.get("SAGAC_TOOLS", ROOT / ".cache"))
    exe = tools / "node" / "node_modules" / ".bin" / "asl-validator"
    return str(exe) if exe.exists() else shutil.which("asl-validator")


def test_fixture_passes_asl_validator():
    exe = _asl_validator()
    if exe is None:
        if os.environ.get("SAGAC_TOOLS"):
            pytest.fail("asl-validator missing from $SAGAC_TOOLS: run scripts/setup-tools.sh")
        pytest.skip("asl-validator not installed (scripts/setup-tools.sh)")
    p = subprocess.run([exe, "--json-path", str(HERE / "fixtures" / "trip-saga.asl.json")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
