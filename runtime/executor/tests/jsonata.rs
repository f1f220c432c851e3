//! JSONata states: Task `Arguments`/`Output`, Catch `Output`, Pass, Choice
//! `Condition`, Succeed, Fail; definition-time refusals; and the generated
//! trip definition (JSONata root writes inside a JSONPath machine) through
//! its happy path and a compensation path.

use std::cell::RefCell;
use std::path::Path;

use sagac_executor::{
    Definition, ExecutionOptions, Executor, FnTarget, MockConfig, Status, TaskError, TaskFuture,
    TaskRequest, TaskResponse, TaskTarget,
};
use serde_json::{Value, json};

fn def(v: Value) -> Definition {
    Definition::from_value(&v).unwrap_or_else(|e| panic!("{e}"))
}

fn refused(v: Value) -> String {
    match Definition::from_value(&v) {
        Ok(_) => panic!("accepted: {v}"),
        Err(e) => e.to_string(),
    }
}

fn run(v: Value, input: Value, target: &dyn TaskTarget) -> sagac_executor::Execution {
    Executor::new(&def(v), ExecutionOptions::default()).run_blocking(input, target)
}

fn no_tasks() -> impl TaskTarget {
    FnTarget(|r: TaskRequest<'_>| panic!("unexpected task {}", r.state_name))
}

fn md5_hex(s: &str) -> String {
    use md5::Digest as _;
    md5::Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn jsonata_task_arguments_result_and_output() {
    let seen = RefCell::new(Vec::new());
    let target = FnTarget(|r: TaskRequest<'_>| {
        seen.borrow_mut().push(r.parameters.clone());
        TaskResponse::ok(json!({"Payload": {"n": 41}}))
    });
    let e = run(
        json!({"StartAt": "T", "States": {"T": {
            "Type": "Task", "QueryLanguage": "JSONata",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Arguments": {
                "FunctionName": "f",
                "Payload": {"who": "{% 'x-' & $states.input.name %}", "list": ["{% 1 + 2 %}", "lit"]},
                "Token": "{% $hash($states.context.Execution.Name & '#' & $states.context.State.Name, 'MD5') %}",
                "Ttl": "{% $string($floor($toMillis($states.context.State.EnteredTime) / 1000) + 604800) %}"
            },
            "Output": "{% $merge([$states.input, {'n': $states.result.Payload.n + 1}]) %}",
            "End": true
        }}}),
        json!({"name": "ann"}),
        &target,
    );
    assert_eq!(e.status, Status::Succeeded, "{:?}", e.cause);
    assert_eq!(e.output, Some(json!({"name": "ann", "n": 42})));
    assert_eq!(
        seen.borrow()[0],
        json!({
            "FunctionName": "f",
            "Payload": {"who": "x-ann", "list": [3, "lit"]},
            "Token": md5_hex("local-execution#T"),
            "Ttl": "1767830400"
        })
    );
}

#[test]
fn jsonata_task_without_arguments_or_output() {
    // No `Arguments`: no parameters (not the input); no `Output`: the result.
    let target = FnTarget(|r: TaskRequest<'_>| {
        assert_eq!(r.parameters, &json!({}));
        TaskResponse::ok(json!({"r": 1}))
    });
    let e = run(
        json!({"StartAt": "T", "States": {"T": {
            "Type": "Task", "QueryLanguage": "JSONata",
            "Resource": "arn:aws:states:::lambda:invoke", "End": true
        }}}),
        json!({"in": true}),
        &target,
    );
    assert_eq!(e.output, Some(json!({"r": 1})));
}

#[test]
fn jsonata_catch_output_sees_the_error_output() {
    let target =
        FnTarget(|_: TaskRequest<'_>| TaskResponse::err(TaskError::new("Boom", "it broke")));
    let machine = |catch: Value| {
        json!({"StartAt": "T", "States": {
            "T": {"Type": "Task", "QueryLanguage": "JSONata",
                  "Resource": "arn:aws:states:::lambda:invoke",
                  "Catch": [catch], "End": true},
            "Done": {"Type": "Succeed"}
        }})
    };
    let e = run(
        machine(json!({"ErrorEquals": ["States.ALL"], "Next": "Done",
            "Output": "{% $merge([$states.input, {'record_error': $states.errorOutput}]) %}"})),
        json!({"a": 1}),
        &target,
    );
    assert_eq!(
        e.output,
        Some(json!({"a": 1, "record_error": {"Error": "Boom", "Cause": "it broke"}}))
    );
    let e = run(
        machine(json!({"ErrorEquals": ["States.ALL"], "Next": "Done"})),
        json!({"a": 1}),
        &target,
    );
    assert_eq!(
        e.output,
        Some(json!({"Error": "Boom", "Cause": "it broke"}))
    );
}

#[test]
fn jsonata_pass_choice_succeed_and_fail() {
    let machine = json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "QueryLanguage": "JSONata",
              "Output": {"n": "{% $states.input.n * 2 %}", "tag": "{% $uppercase($states.input.t) %}"},
              "Next": "C"},
        "C": {"Type": "Choice", "QueryLanguage": "JSONata",
              "Choices": [{"Condition": "{% $states.input.n > 10 %}", "Next": "Big"}],
              "Default": "Small",
              "Output": "{% $states.input.n %}"},
        "Big": {"Type": "Succeed", "QueryLanguage": "JSONata", "Output": "{% {'big': $states.input} %}"},
        "Small": {"Type": "Fail", "QueryLanguage": "JSONata",
                  "Error": "{% 'Too' & 'Small' %}", "Cause": "{% 'n=' & $string($states.input) %}"}
    }});
    let e = run(machine.clone(), json!({"n": 6, "t": "a"}), &no_tasks());
    assert_eq!(e.output, Some(json!({"big": 12})));
    let e = run(machine, json!({"n": 2, "t": "a"}), &no_tasks());
    assert_eq!(e.status, Status::Failed);
    assert_eq!(e.error.as_deref(), Some("TooSmall"));
    assert_eq!(e.cause.as_deref(), Some("n=4"));
}

#[test]
fn jsonata_runtime_errors_are_query_evaluation_errors_and_catchable() {
    let machine = |catch: bool| {
        let mut p = json!({"Type": "Task", "QueryLanguage": "JSONata",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Arguments": {"x": "{% $states.input.missing %}"}, "End": true});
        if !catch {
            return json!({"StartAt": "T", "States": {"T": p}});
        }
        p["Catch"] = json!([{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Done"}]);
        json!({"StartAt": "T", "States": {"T": p, "Done": {"Type": "Succeed"}}})
    };
    let e = run(machine(false), json!({}), &no_tasks());
    assert_eq!(e.error.as_deref(), Some("States.QueryEvaluationError"));
    let cause = e.cause.unwrap_or_default();
    assert!(
        cause.contains("'T'")
            && cause.contains("$states.input.missing")
            && cause.contains("Arguments/x")
            && cause.contains("returned nothing (undefined)"),
        "{cause}"
    );
    let e = run(machine(true), json!({}), &no_tasks());
    assert_eq!(e.status, Status::Succeeded);
    assert_eq!(
        e.output.unwrap()["Error"],
        json!("States.QueryEvaluationError")
    );

    let e = run(
        json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "QueryLanguage": "JSONata",
                  "Choices": [{"Condition": "{% 'yes' %}", "Next": "D"}]},
            "D": {"Type": "Succeed"}}}),
        json!({}),
        &no_tasks(),
    );
    assert_eq!(e.error.as_deref(), Some("States.QueryEvaluationError"));
}

#[test]
fn mixed_definitions_and_top_level_jsonata() {
    let target = FnTarget(|r: TaskRequest<'_>| TaskResponse::ok(r.parameters.clone()));
    let e = run(
        json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Parameters": {"v.$": "$.x"}, "Next": "B"},
            "B": {"Type": "Task", "QueryLanguage": "JSONata",
                  "Resource": "arn:aws:states:::lambda:invoke",
                  "Arguments": {"w": "{% $states.input.v + 1 %}"}, "Next": "C"},
            "C": {"Type": "Pass", "ResultPath": "$.copy", "End": true}
        }}),
        json!({"x": 1}),
        &target,
    );
    assert_eq!(e.output, Some(json!({"w": 2, "copy": {"w": 2}})));
    let e = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Output": "{% $count($states.input.items) %}", "End": true}
        }}),
        json!({"items": [1, 2, 3]}),
        &no_tasks(),
    );
    assert_eq!(e.output, Some(json!(3)));
}

#[test]
fn definition_time_refusals_name_the_state() {
    let one = |state: Value| json!({"StartAt": "S", "States": {"S": state}});
    for field in [
        "InputPath",
        "Parameters",
        "ResultSelector",
        "ResultPath",
        "OutputPath",
    ] {
        // A Task has every one of them in JSONPath.
        let mut s = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "QueryLanguage": "JSONata", "End": true});
        s[field] = json!("$");
        let m = refused(one(s));
        assert!(
            m.contains("state `S`") && m.contains(field) && m.contains("JSONPath field"),
            "{m}"
        );
    }
    // A Pass state has no `ResultSelector` in either language.
    let m = refused(one(
        json!({"Type": "Pass", "QueryLanguage": "JSONata", "ResultSelector": "$", "End": true}),
    ));
    assert!(
        m.contains("state `S`") && m.contains("unknown field `ResultSelector`"),
        "{m}"
    );
    let m = refused(one(
        json!({"Type": "Pass", "Output": "{% 1 %}", "End": true}),
    ));
    assert!(m.contains("`Output` is a JSONata field"), "{m}");
    let m = refused(one(
        json!({"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $nope(1) %}", "End": true}),
    ));
    assert!(
        m.contains("state `S`") && m.contains("`$nope` is not supported"),
        "{m}"
    );
    let m = refused(one(
        json!({"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% 1 + %}", "End": true}),
    ));
    assert!(m.contains("state `S`") && m.contains("Output"), "{m}");
    let m = refused(one(
        json!({"Type": "Pass", "Assign": {"x": 1}, "End": true}),
    ));
    assert!(m.contains("`Assign` in a JSONPath state"), "{m}");
    let m = refused(one(
        json!({"Type": "Succeed", "QueryLanguage": "JSONata", "Assign": {"x": 1}}),
    ));
    // A Succeed state has no `Assign` (the document model refuses it).
    assert!(
        m.contains("state `S`") && m.contains("unknown field `Assign`"),
        "{m}"
    );
    let m = refused(one(
        json!({"Type": "Pass", "QueryLanguage": "JSONata", "Assign": {"states": 1}, "End": true}),
    ));
    assert!(m.contains("`states` is not a valid variable name"), "{m}");
    let m = refused(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "P"},
        "P": {"Type": "Parallel", "End": true, "Branches": [{"StartAt": "In", "States": {
            "In": {"Type": "Pass", "Assign": {"x": 2}, "End": true}}}]}}}),
    );
    assert!(
        m.contains("state `P/In`")
            && m.contains("cannot set `x`, a variable of an enclosing scope"),
        "{m}"
    );
    let m = refused(
        json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": {
        "S": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}}}),
    );
    assert!(
        m.contains("not allowed inside a JSONata state machine"),
        "{m}"
    );
    let m = refused(one(json!({"Type": "Choice", "QueryLanguage": "JSONata",
        "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "S"}]})));
    assert!(
        m.contains("`Variable` is not supported in a JSONata choice rule"),
        "{m}"
    );
    let m = refused(one(
        json!({"Type": "Task", "QueryLanguage": "JSONata", "Resource": "r",
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.e", "Next": "S"}], "End": true}),
    ));
    assert!(
        m.contains("Catch[0]") && m.contains("`ResultPath` is a JSONPath field"),
        "{m}"
    );
    let m = refused(one(
        json!({"Type": "Map", "QueryLanguage": "JSONata", "ItemsPath": "$.x",
        "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}, "End": true}),
    ));
    assert!(m.contains("`ItemsPath` is a JSONPath field"), "{m}");
}

/// Records every Task's parameters, then lets the mock answer.
struct Recording<'t> {
    inner: &'t dyn TaskTarget,
    seen: RefCell<Vec<(String, Value)>>,
}

impl TaskTarget for Recording<'_> {
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> TaskFuture<'a> {
        self.seen
            .borrow_mut()
            .push((request.state_name.to_owned(), request.parameters.clone()));
        self.inner.invoke(request)
    }
}

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn run_trip(case: &str) -> (sagac_executor::Execution, Vec<(String, Value)>) {
    let definition = def(fixture("trip-jsonata.asl.json"));
    let mocks = MockConfig::from_value(&fixture("trip-jsonata.mock-config.json")).unwrap();
    let mock = mocks.target("TripBooking", case).unwrap();
    let recording = Recording {
        inner: &mock,
        seen: RefCell::new(Vec::new()),
    };
    let options = ExecutionOptions {
        execution_name: "trip-0001".into(),
        ..ExecutionOptions::default()
    };
    let e = Executor::new(&definition, options)
        .run_blocking(fixture("trip-jsonata.input.json"), &recording);
    (e, recording.seen.into_inner())
}

/// The root-write Task `state` as called: its token is the MD5 of
/// `<execution>#<state>` and every item's TTL is its entry time + 604800 s.
fn check_root_write(e: &sagac_executor::Execution, seen: &[(String, Value)], state: &str) -> Value {
    let (_, params) = seen.iter().find(|(s, _)| s == state).unwrap_or_else(|| {
        panic!(
            "{state} was not called: {:?}",
            seen.iter().map(|s| &s.0).collect::<Vec<_>>()
        )
    });
    assert_eq!(
        params["ClientRequestToken"],
        json!(md5_hex(&format!("trip-0001#{state}")))
    );
    let entered = e
        .events
        .iter()
        .find(|ev| ev.is_state_entered() && ev.state_name() == Some(state))
        .unwrap()
        .timestamp;
    let ttl = (entered.0 / 1000 + 604_800).to_string();
    let ttls: Vec<&Value> = params["TransactItems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item.get("Put").and_then(|p| p["Item"].get("expires_at")))
        .collect();
    assert!(!ttls.is_empty(), "{state}: no TTL in {params}");
    for t in ttls {
        assert_eq!(t, &json!({"N": ttl}), "{state}");
    }
    params.clone()
}

#[test]
fn generated_trip_happy_path_root_writes() {
    let (e, seen) = run_trip("HappyPath");
    assert_eq!(e.status, Status::Succeeded, "{:?} {:?}", e.error, e.cause);
    let started = check_root_write(&e, &seen, "RecordStarted");
    let input = fixture("trip-jsonata.input.json");
    let trip_id = input["request"]["trip_id"].as_str().unwrap();
    let put = &started["TransactItems"][0]["Put"]["Item"];
    assert_eq!(put["PK"], json!({"S": format!("TRIP#{trip_id}")}));
    assert_eq!(
        started["TransactItems"][1]["Put"]["Item"]["SK"],
        json!({"S": "OUTBOX#trip-0001#TripRequested"})
    );
    check_root_write(&e, &seen, "RecordSucceeded");
    // The JSONata Output passes the input on unchanged.
    assert_eq!(
        e.output.as_ref().map(|o| o["request"].clone()),
        Some(input["request"].clone())
    );
}

#[test]
fn generated_trip_compensation_path_root_writes() {
    let (e, seen) = run_trip("ProcessPaymentCardDeclined");
    let names: Vec<&str> = seen.iter().map(|(s, _)| s.as_str()).collect();
    assert!(
        names.contains(&"CancelHotel") && names.contains(&"CancelFlight"),
        "{names:?}"
    );
    check_root_write(&e, &seen, "RecordStarted");
    let failed = check_root_write(&e, &seen, "RecordFailed");
    assert!(failed.to_string().contains("TripCancelled"), "{failed}");
    assert_eq!(e.status, Status::Failed);
}

#[test]
fn jsonata_parallel_and_map() {
    let e = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
            "P": {"Type": "Parallel",
                  "Arguments": {"n": "{% $states.input.n + 1 %}"},
                  "Branches": [
                      {"StartAt": "A", "States": {"A": {"Type": "Pass", "Output": "{% $states.input.n * 10 %}", "End": true}}},
                      {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}
                  ],
                  "Output": "{% {'sum': $states.result[0] + $states.result[1].n, 'input': $states.input.n} %}",
                  "Next": "M"},
            "M": {"Type": "Map",
                  "Items": "{% [1, 2, 3] %}",
                  "ItemSelector": {"i": "{% $states.context.Map.Item.Index %}", "v": "{% $states.context.Map.Item.Value %}", "base": "{% $states.input.sum %}"},
                  "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass",
                      "Output": "{% $states.input.base + $states.input.i * $states.input.v %}", "End": true}}},
                  "Output": "{% $sum($states.result) %}",
                  "End": true}
        }}),
        json!({"n": 1}),
        &no_tasks(),
    );
    assert_eq!(e.status, Status::Succeeded, "{:?}", e.cause);
    // P: branch input {n: 2}; A gives 20, B {n: 2}: sum 22. M: (22 + 0) + (22 + 2) + (22 + 6).
    assert_eq!(e.output, Some(json!(74)));

    let e = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map",
            "Items": "{% $states.input.notArray %}",
            "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}, "End": true}}}),
        json!({"notArray": {"a": 1}}),
        &no_tasks(),
    );
    assert_eq!(e.error.as_deref(), Some("States.QueryEvaluationError"));
    assert!(e.cause.unwrap_or_default().contains("Expected 'array'"));

    // Without Items, the input is the array.
    let e = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map",
            "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass", "Output": "{% $states.input & '!' %}", "End": true}}},
            "End": true}}}),
        json!(["a", "b"]),
        &no_tasks(),
    );
    assert_eq!(e.output, Some(json!(["a!", "b!"])));
}

#[test]
fn variables_assign_and_scopes() {
    let target = FnTarget(|r: TaskRequest<'_>| match r.state_name {
        "Boom" => TaskResponse::err(TaskError::new("Bad", "no")),
        _ => TaskResponse::ok(json!({"echo": r.parameters.clone()})),
    });
    let e = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"x": 1, "who": "{% $states.input.who %}"}, "Next": "B"},
            "B": {"Type": "Pass",
                  "Assign": {"x": "{% $x + 1 %}", "old": "{% $x %}"},
                  "Output": "{% {'seen': $x} %}",
                  "Next": "T"},
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Arguments": {"x": "{% $x %}", "old": "{% $old %}"},
                  "Assign": {"r": "{% $states.result.echo.x %}"},
                  "Next": "P"},
            "P": {"Type": "Parallel", "Branches": [{"StartAt": "In", "States": {
                      "In": {"Type": "Pass", "Assign": {"inner": "{% $x * 10 %}"},
                             "Next": "In2"},
                      "In2": {"Type": "Pass", "Output": "{% $inner %}", "End": true}}}],
                  "Output": "{% {'branch': $states.result[0], 'inner_outside': $exists($inner)} %}",
                  "Next": "Boom"},
            "Boom": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                     "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"err": "{% $states.errorOutput.Error %}"},
                                "Output": "{% $states.input %}", "Next": "C"}],
                     "End": true},
            "C": {"Type": "Choice",
                  "Choices": [{"Condition": "{% $err = 'Bad' %}", "Assign": {"route": "rule"}, "Next": "D"}],
                  "Default": "D", "Assign": {"route": "default"}},
            "D": {"Type": "Pass",
                  "Output": "{% {'x': $x, 'old': $old, 'who': $who, 'r': $r, 'err': $err, 'route': $route, 'p': $states.input} %}",
                  "End": true}
        }}),
        json!({"who": "ann"}),
        &target,
    );
    assert_eq!(e.status, Status::Succeeded, "{:?}", e.cause);
    assert_eq!(
        e.output,
        Some(
            json!({"x": 2, "old": 1, "who": "ann", "r": 2, "err": "Bad", "route": "rule",
                    "p": {"branch": 20, "inner_outside": false}})
        )
    );
    // B's Output saw x before B's Assign; its exit event lists what it assigned.
    let exited_b = e
        .events
        .iter()
        .find(|ev| ev.state_name() == Some("B") && !ev.is_state_entered())
        .and_then(|ev| ev.details.clone())
        .unwrap();
    assert_eq!(exited_b["output"], json!("{\"seen\":1}"));
    assert_eq!(exited_b["assignedVariables"], json!({"old": "1", "x": "2"}));
}

#[test]
fn jsonata_fields_are_emitted_back() {
    let v = json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
        "T": {"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke",
              "Arguments": {"a": "{% 1 %}"}, "Output": "{% 2 %}", "Assign": {"x": "{% 3 %}"},
              "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% 4 %}", "Assign": {"y": 5}, "Next": "C"}],
              "Next": "C"},
        "C": {"Type": "Choice", "QueryLanguage": "JSONata",
              "Choices": [{"Condition": "{% true %}", "Output": "{% 6 %}", "Assign": {"z": 7}, "Next": "M"}]},
        "M": {"Type": "Map", "QueryLanguage": "JSONata", "Items": "{% [1] %}", "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}"},
              "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "X", "States": {"X": {"Type": "Succeed", "QueryLanguage": "JSONata"}}},
              "Next": "F"},
        "F": {"Type": "Fail", "QueryLanguage": "JSONata", "Error": "{% 'E' %}", "Cause": "c"}
    }});
    assert_eq!(def(v.clone()).to_value(), v);
}

#[test]
fn jsonata_wait_seconds_and_timestamp_expressions() {
    let wait = |field: &str, value: Value| {
        let mut w = json!({"Type": "Wait", "QueryLanguage": "JSONata", "Next": "Done"});
        w[field] = value;
        json!({"StartAt": "W", "States": {"W": w, "Done": {"Type": "Succeed"}}})
    };
    let e = run(
        wait("Seconds", json!("{% $states.input.s * 2 %}")),
        json!({"s": 30}),
        &no_tasks(),
    );
    assert_eq!(e.status, Status::Succeeded);
    assert_eq!(e.start_date.seconds_until(e.stop_date), 60.0);
    let e = run(
        wait(
            "Timestamp",
            json!("{% $fromMillis($toMillis($states.context.Execution.StartTime) + 90000) %}"),
        ),
        json!({}),
        &no_tasks(),
    );
    assert_eq!(e.start_date.seconds_until(e.stop_date), 90.0);
    let e = run(wait("Seconds", json!("{% -1 %}")), json!({}), &no_tasks());
    assert_eq!(e.error.as_deref(), Some("States.QueryEvaluationError"));
    assert!(e.cause.unwrap_or_default().contains("non-negative integer"));
    // A literal still works in a JSONata Wait.
    let e = run(wait("Seconds", json!(5)), json!({}), &no_tasks());
    assert_eq!(e.start_date.seconds_until(e.stop_date), 5.0);
}
