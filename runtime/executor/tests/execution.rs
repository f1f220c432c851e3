//! Executes small definitions covering every state type, the path rules, the
//! context object, Retry/Catch and the timeouts, and checks outputs, error
//! names and the virtual timestamps of the history.

use sagac_executor::{
    Definition, EventType, Execution, ExecutionOptions, Executor, FnTarget, Instant, MockConfig,
    Status, TaskError, TaskRequest, TaskResponse, TaskTarget,
};
use serde_json::{Value, json};

fn def(v: Value) -> Definition {
    Definition::from_value(&v).unwrap_or_else(|e| panic!("{e}"))
}

fn run_with(v: Value, input: Value, target: &dyn TaskTarget) -> Execution {
    Executor::new(&def(v), ExecutionOptions::default()).run_blocking(input, target)
}

fn no_tasks() -> impl TaskTarget {
    FnTarget(|r: TaskRequest<'_>| panic!("unexpected task {}", r.state_name))
}

fn run(v: Value, input: Value) -> Execution {
    run_with(v, input, &no_tasks())
}

fn ok(v: Value, input: Value) -> Value {
    let e = run(v, input);
    assert_eq!(e.status, Status::Succeeded, "{:?} {:?}", e.error, e.cause);
    e.output.unwrap()
}

fn failed(e: &Execution) -> (&str, &str) {
    assert_eq!(e.status, Status::Failed, "output {:?}", e.output);
    (
        e.error.as_deref().unwrap_or(""),
        e.cause.as_deref().unwrap_or(""),
    )
}

fn pass(state: Value) -> Value {
    let mut s = state;
    s["Type"] = json!("Pass");
    s["End"] = json!(true);
    json!({"StartAt": "P", "States": {"P": s}})
}

fn elapsed(e: &Execution) -> f64 {
    e.start_date.seconds_until(e.stop_date)
}

#[test]
fn pass_result_parameters_and_paths() {
    let input = json!({"a": {"b": 1}, "keep": true});
    assert_eq!(ok(pass(json!({})), input.clone()), input);
    assert_eq!(
        ok(pass(json!({"Result": {"x": 1}})), input.clone()),
        json!({"x": 1})
    );
    assert_eq!(
        ok(
            pass(json!({"Result": 2, "ResultPath": "$.a.c"})),
            input.clone()
        ),
        json!({"a": {"b": 1, "c": 2}, "keep": true})
    );
    assert_eq!(
        ok(
            pass(json!({"Result": 2, "ResultPath": null})),
            input.clone()
        ),
        input
    );
    assert_eq!(
        ok(pass(json!({"InputPath": "$.a"})), input.clone()),
        json!({"b": 1})
    );
    assert_eq!(
        ok(pass(json!({"InputPath": null})), input.clone()),
        json!({})
    );
    assert_eq!(
        ok(pass(json!({"OutputPath": null})), input.clone()),
        json!({})
    );
    assert_eq!(
        ok(pass(json!({"OutputPath": "$.a.b"})), input.clone()),
        json!(1)
    );
    assert_eq!(
        ok(
            pass(json!({
                "InputPath": "$.a",
                "Parameters": {"v.$": "$.b", "name.$": "$$.State.Name", "exec.$": "$$.Execution.Name",
                               "static": {"nested.$": "$.b", "list": [{"deep.$": "$.b"}, 3]},
                               "fmt.$": "States.Format('{}-{}', $.b, $$.StateMachine.Name)"},
                "ResultPath": "$.out"
            })),
            input.clone()
        ),
        json!({"a": {"b": 1}, "keep": true, "out": {"v": 1, "name": "P", "exec": "local-execution",
               "static": {"nested": 1, "list": [{"deep": 1}, 3]}, "fmt": "1-StateMachine"}})
    );
    // ResultPath writes into the raw input, not the InputPath selection.
    assert_eq!(
        ok(
            pass(json!({"InputPath": "$.a", "ResultPath": "$.copy"})),
            input.clone()
        ),
        json!({"a": {"b": 1}, "keep": true, "copy": {"b": 1}})
    );
}

#[test]
fn path_failures_have_aws_error_names() {
    let e = run(pass(json!({"InputPath": "$.missing"})), json!({}));
    assert_eq!(failed(&e).0, "States.Runtime");
    let e = run(pass(json!({"OutputPath": "$.missing"})), json!({}));
    assert_eq!(failed(&e).0, "States.Runtime");
    let e = run(
        pass(json!({"Parameters": {"x.$": "$.missing"}})),
        json!({"y": 1}),
    );
    let (error, cause) = failed(&e);
    assert_eq!(error, "States.Runtime");
    assert!(
        cause.contains("The JSONPath '$.missing' specified for the field 'x.$' could not be found"),
        "{cause}"
    );
    let e = run(
        pass(json!({"Result": 1, "ResultPath": "$.a.b"})),
        json!({"a": "text"}),
    );
    assert_eq!(failed(&e).0, "States.ResultPathMatchFailure");
    let e = run(
        pass(json!({"Parameters": {"x.$": "States.ArrayGetItem($.a, 9)"}})),
        json!({"a": [1]}),
    );
    assert_eq!(failed(&e).0, "States.IntrinsicFailure");
    assert_eq!(
        failed(&run(
            pass(json!({"Result": 1, "ResultPath": "$.x"})),
            json!("a string")
        ))
        .0,
        "States.ResultPathMatchFailure"
    );
}

fn choose(rule: Value, input: Value) -> Result<bool, String> {
    let mut rule = rule;
    rule["Next"] = json!("Yes");
    let e = run(
        json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [rule], "Default": "No"},
            "Yes": {"Type": "Pass", "Result": true, "End": true},
            "No": {"Type": "Pass", "Result": false, "End": true}
        }}),
        input,
    );
    match e.status {
        Status::Succeeded => Ok(e.output.unwrap().as_bool().unwrap()),
        _ => Err(e.error.unwrap()),
    }
}

#[test]
fn every_choice_operator() {
    let input = json!({
        "s": "banana", "t": "cherry", "n": 5, "m": 5.0, "b": true, "z": null,
        "ts": "2026-01-01T00:00:00Z", "later": "2026-01-01T01:00:00+00:00", "nots": "2026-01-01"
    });
    let cases = [
        (json!({"Variable": "$.s", "StringEquals": "banana"}), true),
        (json!({"Variable": "$.s", "StringEqualsPath": "$.t"}), false),
        (json!({"Variable": "$.s", "StringLessThan": "cherry"}), true),
        (
            json!({"Variable": "$.s", "StringLessThanPath": "$.t"}),
            true,
        ),
        (
            json!({"Variable": "$.s", "StringGreaterThan": "apple"}),
            true,
        ),
        (
            json!({"Variable": "$.s", "StringGreaterThanPath": "$.t"}),
            false,
        ),
        (
            json!({"Variable": "$.s", "StringLessThanEquals": "banana"}),
            true,
        ),
        (
            json!({"Variable": "$.s", "StringLessThanEqualsPath": "$.s"}),
            true,
        ),
        (
            json!({"Variable": "$.s", "StringGreaterThanEquals": "banana"}),
            true,
        ),
        (
            json!({"Variable": "$.s", "StringGreaterThanEqualsPath": "$.t"}),
            false,
        ),
        (json!({"Variable": "$.s", "StringMatches": "ban*"}), true),
        (json!({"Variable": "$.s", "StringMatches": "*x*"}), false),
        (json!({"Variable": "$.n", "StringEquals": "5"}), false),
        (json!({"Variable": "$.n", "NumericEquals": 5}), true),
        (json!({"Variable": "$.n", "NumericEqualsPath": "$.m"}), true),
        (json!({"Variable": "$.n", "NumericLessThan": 6}), true),
        (
            json!({"Variable": "$.n", "NumericLessThanPath": "$.m"}),
            false,
        ),
        (json!({"Variable": "$.n", "NumericGreaterThan": 4.5}), true),
        (
            json!({"Variable": "$.n", "NumericGreaterThanPath": "$.m"}),
            false,
        ),
        (json!({"Variable": "$.n", "NumericLessThanEquals": 5}), true),
        (
            json!({"Variable": "$.n", "NumericLessThanEqualsPath": "$.m"}),
            true,
        ),
        (
            json!({"Variable": "$.n", "NumericGreaterThanEquals": 5.5}),
            false,
        ),
        (
            json!({"Variable": "$.n", "NumericGreaterThanEqualsPath": "$.m"}),
            true,
        ),
        (json!({"Variable": "$.s", "NumericEquals": 5}), false),
        (json!({"Variable": "$.b", "BooleanEquals": true}), true),
        (json!({"Variable": "$.b", "BooleanEqualsPath": "$.b"}), true),
        (
            json!({"Variable": "$.ts", "TimestampEquals": "2026-01-01T00:00:00.000Z"}),
            true,
        ),
        (
            json!({"Variable": "$.ts", "TimestampEqualsPath": "$.later"}),
            false,
        ),
        (
            json!({"Variable": "$.ts", "TimestampLessThan": "2026-01-01T00:00:01Z"}),
            true,
        ),
        (
            json!({"Variable": "$.ts", "TimestampLessThanPath": "$.later"}),
            true,
        ),
        (
            json!({"Variable": "$.later", "TimestampGreaterThan": "2026-01-01T00:59:59Z"}),
            true,
        ),
        (
            json!({"Variable": "$.later", "TimestampGreaterThanPath": "$.ts"}),
            true,
        ),
        (
            json!({"Variable": "$.ts", "TimestampLessThanEquals": "2026-01-01T00:00:00Z"}),
            true,
        ),
        (
            json!({"Variable": "$.ts", "TimestampLessThanEqualsPath": "$.later"}),
            true,
        ),
        (
            json!({"Variable": "$.ts", "TimestampGreaterThanEquals": "2026-01-01T00:00:00Z"}),
            true,
        ),
        (
            json!({"Variable": "$.ts", "TimestampGreaterThanEqualsPath": "$.later"}),
            false,
        ),
        (
            json!({"Variable": "$.nots", "TimestampEquals": "2026-01-01T00:00:00Z"}),
            false,
        ),
        (json!({"Variable": "$.z", "IsNull": true}), true),
        (json!({"Variable": "$.s", "IsNull": true}), false),
        (json!({"Variable": "$.s", "IsPresent": true}), true),
        (json!({"Variable": "$.nope", "IsPresent": true}), false),
        (json!({"Variable": "$.nope", "IsPresent": false}), true),
        (json!({"Variable": "$.m", "IsNumeric": true}), true),
        (json!({"Variable": "$.s", "IsNumeric": false}), true),
        (json!({"Variable": "$.s", "IsString": true}), true),
        (json!({"Variable": "$.b", "IsBoolean": true}), true),
        (json!({"Variable": "$.ts", "IsTimestamp": true}), true),
        (json!({"Variable": "$.nots", "IsTimestamp": true}), false),
        (
            json!({"And": [{"Variable": "$.n", "NumericEquals": 5}, {"Variable": "$.b", "BooleanEquals": true}]}),
            true,
        ),
        (
            json!({"And": [{"Variable": "$.n", "NumericEquals": 5}, {"Variable": "$.b", "BooleanEquals": false}]}),
            false,
        ),
        (
            json!({"Or": [{"Variable": "$.n", "NumericEquals": 1}, {"Variable": "$.s", "StringEquals": "banana"}]}),
            true,
        ),
        (
            json!({"Not": {"Variable": "$.s", "StringEquals": "banana"}}),
            false,
        ),
        (
            json!({"Variable": "$$.State.Name", "StringEquals": "C"}),
            true,
        ),
    ];
    for (rule, want) in cases {
        assert_eq!(choose(rule.clone(), input.clone()), Ok(want), "{rule}");
    }
    // A missing Variable is a runtime error (only IsPresent tolerates it);
    // so is a missing *Path operand.
    assert_eq!(
        choose(json!({"Variable": "$.nope", "IsNull": true}), input.clone()),
        Err("States.Runtime".into())
    );
    assert_eq!(
        choose(
            json!({"Variable": "$.s", "StringEqualsPath": "$.nope"}),
            input.clone()
        ),
        Err("States.Runtime".into())
    );
    // Short-circuit: And stops at the first false rule.
    assert_eq!(
        choose(
            json!({"And": [{"Variable": "$.b", "BooleanEquals": false}, {"Variable": "$.nope", "IsNull": true}]}),
            input
        ),
        Ok(false)
    );
}

#[test]
fn choice_without_match_or_default_fails() {
    let e = run(
        json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "D"}]},
            "D": {"Type": "Succeed"}
        }}),
        json!({}),
    );
    assert_eq!(failed(&e).0, "States.NoChoiceMatched");
    assert_eq!(
        e.events
            .iter()
            .filter(|ev| ev.kind == EventType::ChoiceStateEntered)
            .count(),
        1
    );
}

#[test]
fn wait_moves_the_virtual_clock() {
    let waits = json!({"StartAt": "W1", "States": {
        "W1": {"Type": "Wait", "Seconds": 10, "Next": "W2"},
        "W2": {"Type": "Wait", "SecondsPath": "$.s", "Next": "W3"},
        "W3": {"Type": "Wait", "Timestamp": "2026-01-01T01:00:00Z", "Next": "W4"},
        "W4": {"Type": "Wait", "TimestampPath": "$.t", "Next": "W5"},
        "W5": {"Type": "Wait", "Timestamp": "2025-01-01T00:00:00Z", "End": true}
    }});
    let e = run(waits.clone(), json!({"s": 20, "t": "2026-01-02T00:00:00Z"}));
    assert_eq!(e.status, Status::Succeeded);
    let exits: Vec<String> = e
        .events
        .iter()
        .filter(|ev| ev.kind == EventType::WaitStateExited)
        .map(|ev| ev.timestamp.to_rfc3339())
        .collect();
    assert_eq!(
        exits,
        [
            "2026-01-01T00:00:10.000Z",
            "2026-01-01T00:00:30.000Z",
            "2026-01-01T01:00:00.000Z",
            "2026-01-02T00:00:00.000Z",
            "2026-01-02T00:00:00.000Z"
        ]
    );
    assert_eq!(
        failed(&run(waits.clone(), json!({"s": -1, "t": "x"}))).0,
        "States.Runtime"
    );
    assert_eq!(
        failed(&run(waits, json!({"s": 1, "t": "tomorrow"}))).0,
        "States.Runtime"
    );
}

#[test]
fn succeed_and_fail() {
    let out = ok(
        json!({"StartAt": "S", "States": {"S": {"Type": "Succeed", "OutputPath": "$.a"}}}),
        json!({"a": 1}),
    );
    assert_eq!(out, json!(1));
    let e = run(
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}),
        json!({}),
    );
    assert_eq!(failed(&e), ("E", "C"));
    assert_eq!(e.events.last().unwrap().kind, EventType::ExecutionFailed);
    assert_eq!(e.events[1].kind, EventType::FailStateEntered);
    let e = run(
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('bad {}', $.n)"}}}),
        json!({"e": "Custom", "n": 3}),
    );
    assert_eq!(failed(&e), ("Custom", "bad 3"));
    let e = run(
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail"}}}),
        json!({}),
    );
    assert_eq!(
        (e.status, e.error.clone(), e.cause.clone()),
        (Status::Failed, None, None)
    );
}

fn lambda(name: &str, next: Option<&str>) -> Value {
    let mut s = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": name, "Payload.$": "$"},
        "ResultSelector": {"v.$": "$.Payload"},
    });
    match next {
        Some(n) => s["Next"] = json!(n),
        None => s["End"] = json!(true),
    }
    s
}

fn answers(f: impl Fn(&str, u32) -> TaskResponse) -> impl TaskTarget {
    FnTarget(move |r: TaskRequest<'_>| f(r.state_name, r.attempt))
}

fn payload(v: Value) -> TaskResponse {
    TaskResponse::ok(json!({"StatusCode": 200, "Payload": v}))
}

#[test]
fn parallel_collects_branch_outputs_and_takes_the_longest_branch() {
    let d = json!({"StartAt": "P", "States": {"P": {
        "Type": "Parallel",
        "Branches": [
            {"StartAt": "A", "States": {"A": lambda("a", None)}},
            {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 30, "Next": "B2"}, "B2": lambda("b", None)}}
        ],
        "ResultSelector": {"a.$": "$[0].v", "b.$": "$[1].v"},
        "ResultPath": "$.r",
        "End": true
    }}});
    let t = answers(|s, _| {
        if s == "A" {
            payload(json!(1)).after(100.0)
        } else {
            payload(json!(2))
        }
    });
    let e = run_with(d.clone(), json!({"in": 0}), &t);
    assert_eq!(e.output, Some(json!({"in": 0, "r": {"a": 1, "b": 2}})));
    assert_eq!(
        elapsed(&e),
        100.0,
        "branches run concurrently on the virtual clock"
    );
    assert_eq!(e.entered_states(), ["P", "A", "B", "B2"]);
    let kinds: Vec<EventType> = e.events.iter().map(|ev| ev.kind).collect();
    assert!(kinds.starts_with(&[
        EventType::ExecutionStarted,
        EventType::ParallelStateEntered,
        EventType::ParallelStateStarted
    ]));
    assert!(kinds.ends_with(&[
        EventType::ParallelStateSucceeded,
        EventType::ParallelStateExited,
        EventType::ExecutionSucceeded
    ]));

    // A failed branch fails the Parallel state with the branch's error, and
    // later branches are not started.
    let t = answers(|s, _| {
        if s == "A" {
            TaskResponse::err(TaskError::new("Boom", "a broke"))
        } else {
            payload(json!(2))
        }
    });
    let e = run_with(d, json!({}), &t);
    assert_eq!(failed(&e), ("Boom", "a broke"));
    assert_eq!(e.entered_states(), ["P", "A"]);
    assert!(
        e.events
            .iter()
            .any(|ev| ev.kind == EventType::ParallelStateFailed)
    );
}

#[test]
fn map_iterates_with_item_selector_and_the_map_context() {
    let d = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map",
        "ItemsPath": "$.items",
        "MaxConcurrency": 2,
        "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value", "k.$": "$.k"},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": 10, "Next": "X"},
            "X": {"Type": "Pass", "End": true}
        }},
        "ResultPath": "$.out",
        "End": true
    }}});
    let e = run(d, json!({"items": ["a", "b", "c"], "k": 7}));
    assert_eq!(
        e.output,
        Some(json!({"items": ["a", "b", "c"], "k": 7, "out": [
            {"i": 0, "v": "a", "k": 7}, {"i": 1, "v": "b", "k": 7}, {"i": 2, "v": "c", "k": 7}
        ]}))
    );
    assert_eq!(elapsed(&e), 20.0, "three 10 s items, two at a time");
    assert_eq!(
        e.events
            .iter()
            .filter(|ev| ev.kind == EventType::MapIterationSucceeded)
            .count(),
        3
    );
    let started = e
        .events
        .iter()
        .find(|ev| ev.kind == EventType::MapStateStarted)
        .unwrap();
    assert_eq!(started.details, Some(json!({"length": 3})));

    let failing = |tolerated: Value| {
        let mut m = json!({
            "Type": "Map",
            "Iterator": {"StartAt": "T", "States": {"T": lambda("t", None)}},
            "End": true
        });
        if let Value::Object(extra) = tolerated {
            m.as_object_mut().unwrap().extend(extra);
        }
        let t = answers(|_, _| TaskResponse::err(TaskError::new("ItemFailed", "no")));
        run_with(
            json!({"StartAt": "M", "States": {"M": m}}),
            json!([1, 2, 3]),
            &t,
        )
    };
    let e = failing(json!({}));
    assert_eq!(failed(&e).0, "ItemFailed");
    assert_eq!(
        e.events
            .iter()
            .filter(|ev| ev.kind == EventType::MapIterationFailed)
            .count(),
        1
    );
    let e = failing(json!({"ToleratedFailureCount": 1}));
    assert_eq!(failed(&e).0, "States.ExceedToleratedFailureThreshold");
    let e = failing(json!({"ToleratedFailurePercentage": 100}));
    assert_eq!(e.status, Status::Succeeded);
    assert_eq!(
        e.output.unwrap()[0],
        json!({"Error": "ItemFailed", "Cause": "no"})
    );
    let e = run(
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.x",
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}}),
        json!({"x": "not a list"}),
    );
    assert_eq!(failed(&e).0, "States.Runtime");
}

fn retrying_task(retry: Value, catch: Value) -> Value {
    let mut t = lambda("f", Some("Done"));
    t["Retry"] = retry;
    let caught = catch.as_array().is_some_and(|c| !c.is_empty());
    t["Catch"] = catch;
    let mut d = json!({"StartAt": "T", "States": {"T": t, "Done": {"Type": "Succeed"}}});
    if caught {
        d["States"]["Handled"] = json!({"Type": "Pass", "End": true});
    }
    d
}

/// Seconds between consecutive TaskScheduled events.
fn retry_gaps(e: &Execution) -> Vec<f64> {
    let times: Vec<Instant> = e
        .events
        .iter()
        .filter(|ev| ev.kind == EventType::TaskScheduled)
        .map(|ev| ev.timestamp)
        .collect();
    times.windows(2).map(|w| w[0].seconds_until(w[1])).collect()
}

#[test]
fn retry_backoff_cap_and_attempt_numbers() {
    let d = retrying_task(
        json!([{"ErrorEquals": ["Flaky"], "IntervalSeconds": 2, "BackoffRate": 3.0, "MaxAttempts": 4, "MaxDelaySeconds": 30}]),
        json!([{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handled"}]),
    );
    let t = answers(|_, attempt| {
        if attempt < 4 {
            TaskResponse::err(TaskError::new("Flaky", format!("attempt {attempt}")))
        } else {
            payload(json!("ok"))
        }
    });
    let e = run_with(d.clone(), json!({}), &t);
    assert_eq!(e.status, Status::Succeeded);
    assert_eq!(retry_gaps(&e), [2.0, 6.0, 18.0, 30.0]);
    assert_eq!(e.entered_states(), ["T", "Done"]);

    // Exhausted: the Catcher gets the last error, written at ResultPath onto the raw input.
    let t = answers(|_, attempt| {
        TaskResponse::err(TaskError::new("Flaky", format!("attempt {attempt}")))
    });
    let e = run_with(d, json!({"in": 1}), &t);
    assert_eq!(
        e.output,
        Some(json!({"in": 1, "error": {"Error": "Flaky", "Cause": "attempt 4"}}))
    );
    assert_eq!(e.entered_states(), ["T", "Handled"]);
    assert_eq!(
        e.events
            .iter()
            .filter(|ev| ev.kind == EventType::TaskFailed)
            .count(),
        5
    );
    assert!(
        e.events
            .iter()
            .any(|ev| ev.kind == EventType::TaskStateExited)
    );
}

#[test]
fn retry_count_reaches_the_context_and_max_attempts_zero_never_retries() {
    let d = retrying_task(
        json!([{"ErrorEquals": ["Never"], "MaxAttempts": 0}, {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2}]),
        json!([]),
    );
    let seen = std::cell::RefCell::new(Vec::new());
    let t = FnTarget(|r: TaskRequest<'_>| {
        seen.borrow_mut()
            .push((r.attempt, r.context["State"]["RetryCount"].clone()));
        TaskResponse::err(TaskError::new(
            if r.attempt == 0 { "Other" } else { "Never" },
            "",
        ))
    });
    let e = run_with(d, json!({}), &t);
    assert_eq!(failed(&e).0, "Never");
    assert_eq!(*seen.borrow(), [(0, json!(0)), (1, json!(1))]);
}

#[test]
fn error_name_wildcards() {
    let d = |errors: Value| {
        retrying_task(
            json!([]),
            json!([{"ErrorEquals": errors, "Next": "Handled"}]),
        )
    };
    let fail_with =
        |name: &'static str| answers(move |_, _| TaskResponse::err(TaskError::new(name, "")));
    let caught = |errors: Value, name: &'static str| {
        run_with(d(errors), json!({}), &fail_with(name)).status == Status::Succeeded
    };
    assert!(caught(json!(["States.ALL"]), "Anything"));
    assert!(caught(json!(["States.ALL"]), "States.Timeout"));
    assert!(
        !caught(json!(["States.ALL"]), "States.Runtime"),
        "States.Runtime is terminal on AWS"
    );
    assert!(caught(json!(["States.TaskFailed"]), "Lambda.Unknown"));
    assert!(!caught(json!(["States.TaskFailed"]), "States.Timeout"));
    assert!(caught(json!(["A", "B"]), "B"));
    assert!(!caught(json!(["A"]), "a"));
}

#[test]
fn hours_of_retries_run_instantly_with_virtual_timestamps() {
    let d = retrying_task(
        json!([{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 3600, "BackoffRate": 2.0, "MaxAttempts": 5}]),
        json!([]),
    );
    let t = answers(|_, attempt| {
        if attempt < 5 {
            TaskResponse::err(TaskError::new("Lambda.ServiceException", ""))
        } else {
            payload(json!(1))
        }
    });
    let wall = std::time::Instant::now();
    let e = run_with(d, json!({}), &t);
    let wall = wall.elapsed();
    assert_eq!(e.status, Status::Succeeded);
    // 1 + 2 + 4 + 8 + 16 hours of backoff.
    assert_eq!(elapsed(&e), 31.0 * 3600.0);
    assert_eq!(e.stop_date.to_rfc3339(), "2026-01-02T07:00:00.000Z");
    assert_eq!(retry_gaps(&e), [3600.0, 7200.0, 14400.0, 28800.0, 57600.0]);
    assert!(
        wall < std::time::Duration::from_millis(200),
        "took {wall:?}"
    );
}

#[test]
fn full_jitter_is_seeded_and_bounded() {
    let d = def(retrying_task(
        json!([{"ErrorEquals": ["E"], "IntervalSeconds": 10, "MaxAttempts": 6, "JitterStrategy": "FULL"}]),
        json!([]),
    ));
    let t = answers(|_, attempt| {
        if attempt < 6 {
            TaskResponse::err(TaskError::new("E", ""))
        } else {
            payload(json!(1))
        }
    });
    let run_seed = |seed| {
        Executor::new(
            &d,
            ExecutionOptions {
                seed,
                ..ExecutionOptions::default()
            },
        )
        .run_blocking(json!({}), &t)
    };
    let (a, b, c) = (run_seed(1), run_seed(1), run_seed(2));
    assert_eq!(retry_gaps(&a), retry_gaps(&b));
    assert_ne!(retry_gaps(&a), retry_gaps(&c));
    for (i, gap) in retry_gaps(&a).into_iter().enumerate() {
        let max = 10.0 * 2f64.powi(i as i32);
        assert!((0.0..=max).contains(&gap), "retry {i}: {gap} > {max}");
    }
}

#[test]
fn task_timeout_fires_states_timeout() {
    let mut t = lambda("slow", Some("Done"));
    t["TimeoutSeconds"] = json!(10);
    t["Retry"] =
        json!([{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 1, "IntervalSeconds": 5}]);
    let d = json!({"StartAt": "T", "States": {"T": t, "Done": {"Type": "Succeed"}}});
    let slow = answers(|_, _| payload(json!(1)).after(60.0));
    let e = run_with(d.clone(), json!({}), &slow);
    assert_eq!(failed(&e).0, "States.Timeout");
    assert_eq!(
        e.events
            .iter()
            .filter(|ev| ev.kind == EventType::TaskTimedOut)
            .count(),
        2
    );
    assert_eq!(elapsed(&e), 10.0 + 5.0 + 10.0);
    let fast = answers(|_, _| payload(json!(1)).after(9.5));
    assert_eq!(run_with(d, json!({}), &fast).status, Status::Succeeded);

    let mut t = lambda("slow", None);
    t["TimeoutSecondsPath"] = json!("$.limit");
    let d = json!({"StartAt": "T", "States": {"T": t}});
    let e = run_with(d.clone(), json!({"limit": 30}), &slow);
    assert_eq!(failed(&e).0, "States.Timeout");
    let scheduled = e
        .events
        .iter()
        .find(|ev| ev.kind == EventType::TaskScheduled)
        .unwrap();
    assert_eq!(
        scheduled.details.as_ref().unwrap()["timeoutInSeconds"],
        json!(30)
    );
    assert_eq!(
        failed(&run_with(d, json!({"limit": "x"}), &slow)).0,
        "States.Runtime"
    );
}

#[test]
fn execution_timeout_stops_the_execution() {
    let d = json!({"TimeoutSeconds": 60, "StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 45, "Next": "W2"},
        "W2": {"Type": "Wait", "Seconds": 45, "End": true}
    }});
    let e = run(d, json!({}));
    assert_eq!(e.status, Status::TimedOut);
    assert_eq!(e.error.as_deref(), Some("States.Timeout"));
    assert_eq!(elapsed(&e), 60.0);
    assert_eq!(e.events.last().unwrap().kind, EventType::ExecutionTimedOut);

    // Retries cannot outlive the execution either.
    let mut d = retrying_task(
        json!([{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 100, "MaxAttempts": 10}]),
        json!([]),
    );
    d["TimeoutSeconds"] = json!(300);
    let t = answers(|_, _| TaskResponse::err(TaskError::new("E", "")));
    let e = run_with(d, json!({}), &t);
    assert_eq!(e.status, Status::TimedOut);
    assert_eq!(elapsed(&e), 300.0);
}

#[test]
fn history_is_shaped_like_get_execution_history() {
    let config = MockConfig::from_value(&json!({
        "StateMachines": {"M": {"TestCases": {"C": {"T": "R"}}}},
        "MockedResponses": {"R": {"0": {"Throw": {"Error": "Lambda.ServiceException", "Cause": "busy"}},
                                  "1": {"Return": {"StatusCode": 200, "Payload": {"ok": 1}}}}}
    }))
    .unwrap();
    let target = config.target("M", "C").unwrap();
    let d = retrying_task(
        json!([{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 1, "MaxAttempts": 1}]),
        json!([]),
    );
    let e = run_with(d, json!({"x": 1}), &target);
    assert_eq!(e.status, Status::Succeeded);
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["status"], "SUCCEEDED");
    let output: Value = serde_json::from_str(json["output"].as_str().unwrap()).unwrap();
    assert_eq!(
        output,
        json!({"v": {"ok": 1}}),
        "the output is a JSON string, as DescribeExecution gives it"
    );
    let events = json["events"].as_array().unwrap();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "SucceedStateEntered",
            "SucceedStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(
        events[0],
        json!({
            "timestamp": "2026-01-01T00:00:00.000Z", "type": "ExecutionStarted", "id": 1, "previousEventId": 0,
            "executionStartedEventDetails": {"input": "{\"x\":1}", "inputDetails": {"truncated": false},
                                             "roleArn": "arn:aws:iam::123456789012:role/sagac-local-execution"}
        })
    );
    assert_eq!(
        events[4]["taskFailedEventDetails"],
        json!({
            "resourceType": "lambda", "resource": "invoke", "error": "Lambda.ServiceException", "cause": "busy"
        })
    );
    assert_eq!(events[5]["timestamp"], "2026-01-01T00:00:01.000Z");
    let scheduled = &events[2]["taskScheduledEventDetails"];
    assert_eq!(scheduled["resourceType"], "lambda");
    assert_eq!(
        scheduled["parameters"],
        json!({"FunctionName": "f", "Payload": {"x": 1}}).to_string()
    );
    for (i, ev) in events.iter().enumerate() {
        assert_eq!(ev["id"], json!(i + 1));
        assert_eq!(ev["previousEventId"], json!(i));
    }
}

#[test]
fn lambda_function_arns_write_lambda_events() {
    let d = json!({"StartAt": "L", "States": {"L": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:F", "End": true
    }}});
    let e = run_with(
        d,
        json!({"a": 1}),
        &answers(|_, _| TaskResponse::ok(json!({"b": 2}))),
    );
    assert_eq!(e.output, Some(json!({"b": 2})));
    let kinds: Vec<&str> = e.events.iter().map(|ev| ev.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "LambdaFunctionSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn invalid_definitions_name_the_state() {
    let cases = [
        (json!({"States": {}}), None, "missing field `StartAt`"),
        (
            json!({"StartAt": "X", "States": {"A": {"Type": "Succeed"}}}),
            None,
            "StartAt names `X`",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nope"}}}),
            Some("A"),
            "transition to `Nope`",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass"}}}),
            Some("A"),
            "needs `Next` or `End: true`",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}, "B": {"Type": "Succeed"}}}),
            Some("B"),
            "not reachable",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Lambda", "End": true}}}),
            Some("A"),
            "unknown Type `Lambda`",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Resutl": 1}}}),
            Some("A"),
            "unknown field `Resutl`",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Parameters": {"x.$": "States.Nope()"}}}}),
            Some("A"),
            "unknown function",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Parameters": {"x.$": "nope"}}}}),
            Some("A"),
            "valid JSONPath",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "ResultPath": "$.a[*]"}}}),
            Some("A"),
            "reference path",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r", "End": true,
            "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]}}}),
            Some("A"),
            "last retrier",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r", "End": true,
            "Retry": [{"ErrorEquals": ["States.ALL", "X"]}]}}}),
            Some("A"),
            "alone",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r", "End": true,
            "Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}]}}}),
            Some("A"),
            "BackoffRate",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "Next": "A"}]}}}),
            Some("A"),
            "exactly one comparison operator",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "StringEquals": 1, "Next": "A"}]}}}),
            Some("A"),
            "wrong type",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Wait", "End": true}}}),
            Some("A"),
            "exactly one of",
        ),
        (
            json!({"StartAt": "A", "QueryLanguage": "JSONata", "States": {"A": {"Type": "Succeed", "QueryLanguage": "JSONPath"}}}),
            Some("A"),
            "not allowed inside a JSONata state machine",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Assign": {"x": 1}, "End": true}}}),
            Some("A"),
            "variables",
        ),
        (
            json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "In", "States": {"In": {"Type": "Pass", "Next": "Gone"}}}]}}}),
            Some("P/In"),
            "transition to `Gone`",
        ),
        // Ranges are checked on the lowered document.
        (
            json!({"StartAt": "A", "TimeoutSeconds": 0, "States": {"A": {"Type": "Succeed"}}}),
            None,
            "`TimeoutSeconds` must be an integer from 1 to 99999999, got 0",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r", "End": true,
            "Retry": [{"ErrorEquals": ["X"], "IntervalSeconds": 0}]}}}),
            Some("A"),
            "Retry[0]: `IntervalSeconds` must be an integer from 1 to 99999999, got 0",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r", "End": true,
            "Catch": [{"ErrorEquals": [], "Next": "A"}]}}}),
            Some("A"),
            "Catch[0]: `ErrorEquals` must be a non-empty array",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A", "End": true}}}),
            Some("A"),
            "both `Next` and `End: true`",
        ),
        // A field of the wrong type is named by its path in the state,
        // also inside a Parallel branch.
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r", "End": true,
            "Retry": [{"ErrorEquals": ["X"], "MaxAttempts": -1}]}}}),
            Some("A"),
            "`Retry[0].MaxAttempts`: invalid value: integer `-1`",
        ),
        (
            json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "In", "States": {"In": {"Type": "Task", "Resource": "r", "End": true,
            "Catch": [{"ErrorEquals": ["X"], "Next": 7}]}}}]}}}),
            Some("P/In"),
            "`Catch[0].Next`: invalid type: integer `7`",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Choice", "Default": "A",
            "Choices": [{"Variable": "$.x", "IsPresent": true}]}}}),
            Some("A"),
            "`Choices[0]`: missing field `Next`",
        ),
        (
            json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Wait", "Seconds": -1, "End": true}}}}}}),
            Some("M/X"),
            "`Seconds`: data did not match any variant",
        ),
        (
            json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
            {"States": {"In": {"Type": "Succeed"}}}]}}}),
            Some("P"),
            "`Branches[0]`: missing field `StartAt`",
        ),
        // A field written before `Type` is named, not the path inside it.
        (
            json!({"StartAt": "A", "States": {"A": {"Retry": [{"ErrorEquals": ["X"], "MaxAttempts": -1}],
            "Type": "Task", "Resource": "r", "End": true}}}),
            Some("A"),
            "`Retry`: invalid value: integer `-1`",
        ),
        // Choice rules are read typed too, each error by its path in the state.
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Choice", "Default": "A",
            "Choices": [{"And": [{"Variable": 1, "IsPresent": true}], "Next": "A"}]}}}),
            Some("A"),
            "`Choices[0].And[0].Variable`: invalid type: integer `1`",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Choice", "Default": "A",
            "Choices": [{"Not": {"Variable": "$.x", "StringEqualz": "a"}, "Next": "A"}]}}}),
            Some("A"),
            "`Choices[0].Not.StringEqualz`: unknown field `StringEqualz`: neither a choice rule field nor a comparison operator",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Choice", "Default": "A",
            "Choices": [{"Variable": "$.x", "IsPresent": true, "Output": {}, "Next": "A"}]}}}),
            Some("A"),
            "Choices[0]: `Output` is a JSONata field",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Choice", "Default": "A",
            "Choices": [{"Not": {"Variable": "$.x", "IsPresent": true, "Next": "A"}, "Next": "A"}]}}}),
            Some("A"),
            "Choices[0].Not: a nested choice rule cannot have `Next`",
        ),
        (
            json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ToleratedFailureCountPath": "$.n",
            "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}}}}),
            Some("M"),
            "`ToleratedFailureCountPath` is not supported by this executor",
        ),
        (
            json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"},
            "StartAt": "X", "States": {"X": {"Type": "Succeed"}}}}}}),
            Some("M (ItemProcessor)"),
            "ProcessorConfig Mode `DISTRIBUTED` is not supported",
        ),
    ];
    for (definition, state, message) in cases {
        let e = Definition::from_value(&definition).expect_err(&definition.to_string());
        assert_eq!(e.state.as_deref(), state, "{e}");
        assert!(e.message.contains(message), "{e} (wanted {message})");
    }
    assert!(
        Definition::from_json("{not json")
            .unwrap_err()
            .message
            .contains("not JSON")
    );
    assert!(Definition::from_json("[]").is_err());
}

#[test]
fn garbage_never_panics() {
    let shapes = [
        json!(null),
        json!(1),
        json!({"StartAt": 1}),
        json!({"StartAt": "A", "States": []}),
        json!({"StartAt": "A", "States": {"A": 1}}),
        json!({"StartAt": "A", "States": {"A": {"Type": 1}}}),
        json!({"StartAt": "A", "States": {"A": {"Type": "Map", "End": true, "ItemProcessor": 3}}}),
        json!({"StartAt": "A", "States": {"A": {"Type": "Parallel", "End": true, "Branches": [1]}}}),
        json!({"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"Not": 1, "Next": "A"}]}}}),
        json!({"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"And": [], "Next": "A"}]}}}),
        json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r", "End": true, "Catch": [{"ErrorEquals": []}]}}}),
    ];
    for shape in shapes {
        assert!(Definition::from_value(&shape).is_err(), "{shape}");
    }
}

#[test]
fn outputs_over_the_payload_quota_fail_with_data_limit_exceeded() {
    let big = "x".repeat(sagac_executor::MAX_PAYLOAD_BYTES);
    let e = run(pass(json!({})), json!({ "big": big }));
    let (error, cause) = failed(&e);
    assert_eq!(error, "States.DataLimitExceeded");
    assert!(
        cause.starts_with("An error occurred while executing the state 'P'"),
        "{cause}"
    );
    // Terminal: a States.ALL catcher does not take it.
    let d = retrying_task(
        json!([]),
        json!([{"ErrorEquals": ["States.ALL"], "Next": "Handled"}]),
    );
    let t = answers(|_, _| payload(json!("y".repeat(sagac_executor::MAX_PAYLOAD_BYTES))));
    assert_eq!(
        failed(&run_with(d, json!({}), &t)).0,
        "States.DataLimitExceeded"
    );
    let just_fits = "x".repeat(sagac_executor::MAX_PAYLOAD_BYTES - 20);
    assert_eq!(
        run(pass(json!({})), json!({ "big": just_fits })).status,
        Status::Succeeded
    );
}
