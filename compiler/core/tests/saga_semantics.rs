//! What the generated state machine does on specs other than the reference:
//! the default retry, helper state names, the outbox TTL of the root writes,
//! and the pivot's and retriable steps' own outcomes (issue 8, defects 2, 5,
//! 7 and 9).

use serde_json::Value;

use sagac_core::emit::{asl, diagram, mock};
use sagac_core::source::SourceFile;

fn spec_text(relative: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../spec/{relative}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn compile(name: &str, text: &str) -> sagac_core::ir::Saga {
    sagac_core::compile(&SourceFile::new(name, text.to_owned()))
        .unwrap_or_else(|d| panic!("{name} does not compile: {d:#?}"))
}

/// Every state of a definition, Parallel branches included, with its name,
/// in order; duplicates are kept (JSON objects here cannot hold them, but
/// two branches can each hold a state of the same name).
fn all_states(states: &serde_json::Map<String, Value>, out: &mut Vec<(String, Value)>) {
    for (name, state) in states {
        out.push((name.clone(), state.clone()));
        for branch in state["Branches"].as_array().into_iter().flatten() {
            if let Some(inner) = branch["States"].as_object() {
                all_states(inner, out);
            }
        }
    }
}

fn states_of(definition: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    all_states(definition["States"].as_object().unwrap(), &mut out);
    out
}

fn lambda_tasks(definition: &Value) -> Vec<(String, Value)> {
    states_of(definition)
        .into_iter()
        .filter(|(_, s)| s["Resource"] == "arn:aws:states:::lambda:invoke")
        .collect()
}

// Defect 2: a step without `retry` retried nothing but Lambda's own errors,
// so the runtime's `TransientError` went straight to the ambiguous path.
#[test]
fn every_lambda_task_retries_the_runtimes_transient_error() {
    // car-rental has no `defaults.retry` and no step-level `retry`.
    let text = spec_text("examples/car-rental.saga.yaml");
    assert!(!text.contains("retry"));
    let saga = compile("car-rental.saga.yaml", &text);
    let definition = asl::definition(&saga);
    let tasks = lambda_tasks(&definition);
    assert!(tasks.len() >= 5, "{tasks:?}");
    for (name, task) in tasks {
        let retried: Vec<&str> = task["Retry"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["ErrorEquals"].as_array().unwrap())
            .filter_map(Value::as_str)
            .collect();
        // The pivot retries everything but its definite failures.
        if retried.contains(&"States.ALL") {
            continue;
        }
        assert!(
            retried.contains(&sagac_contract::errors::TRANSIENT_ERROR),
            "{name} does not retry {}: {retried:?}",
            sagac_contract::errors::TRANSIENT_ERROR
        );
        for lambda in asl::LAMBDA_SERVICE_ERRORS {
            assert!(retried.contains(&lambda), "{name}: {retried:?}");
        }
    }
    // The mock configuration's transient failures are what the runtime
    // really returns.
    let config = mock::config(&saga);
    let thrown =
        config["MockedResponses"]["HoldVehicleTransientThenSucceeds"]["0"]["Throw"]["Error"]
            .clone();
    assert_eq!(thrown, sagac_contract::errors::TRANSIENT_ERROR);
    let _ = diagram::DIAGRAM_FILE;
}

fn state<'a>(definition: &'a Value, name: &str) -> &'a Value {
    let found = &definition["States"][name];
    assert!(found.is_object(), "no state {name}");
    found
}

fn catch_targets(task: &Value) -> Vec<(Vec<String>, String)> {
    task["Catch"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["ErrorEquals"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e.as_str().unwrap().to_owned())
                    .collect(),
                c["Next"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The status a root write sets and the event type it puts in the outbox.
fn root_write(definition: &Value, name: &str) -> (String, String) {
    let items = state(definition, name)["Arguments"]["TransactItems"]
        .as_array()
        .unwrap()
        .clone();
    let status = items[0]["Update"]["ExpressionAttributeValues"][":status"]["S"]
        .as_str()
        .unwrap()
        .to_owned();
    let event = items[1]["Put"]["Item"]["event_type"]["S"]
        .as_str()
        .unwrap()
        .to_owned();
    (status, event)
}

// Defect 9: an ambiguous pivot failure rolled back every earlier step,
// although the pivot may have committed.
#[test]
fn an_ambiguous_pivot_failure_is_retried_and_never_compensates() {
    // car-rental: HoldVehicle (compensatable), then TakeDeposit (pivot,
    // business error CardDeclined), default outcomes.
    let saga = compile(
        "car-rental.saga.yaml",
        &spec_text("examples/car-rental.saga.yaml"),
    );
    let definition = asl::definition(&saga);
    let pivot = state(&definition, "TakeDeposit");
    let catches = catch_targets(pivot);
    assert_eq!(
        catches,
        vec![
            (
                vec!["CardDeclined".into(), "Saga.InvalidPayload".into()],
                "ReleaseVehicle".into()
            ),
            (vec!["States.ALL".into()], asl::RECORD_PIVOT_UNKNOWN.into()),
        ]
    );
    // Definite failures are not retried; everything else is, with the policy.
    let retry = pivot["Retry"].as_array().unwrap();
    assert_eq!(retry.len(), 2);
    assert_eq!(
        retry[0]["ErrorEquals"],
        serde_json::json!(["CardDeclined", "Saga.InvalidPayload"])
    );
    assert_eq!(retry[0]["MaxAttempts"], 0);
    assert_eq!(retry[1]["ErrorEquals"], serde_json::json!(["States.ALL"]));
    assert_eq!(retry[1]["MaxAttempts"], 3);
    // The distinct outcome: its own status, event and Fail state.
    assert_eq!(
        root_write(&definition, asl::RECORD_PIVOT_UNKNOWN),
        ("PIVOT_UNKNOWN".into(), "RentalCompensationFailed".into())
    );
    assert_eq!(
        state(&definition, asl::RECORD_PIVOT_UNKNOWN)["Next"],
        asl::PIVOT_UNKNOWN
    );
    let fail = state(&definition, asl::PIVOT_UNKNOWN);
    assert_eq!(fail["Type"], "Fail");
    assert_eq!(fail["Error"], asl::PIVOT_UNKNOWN_ERROR);
    // Nothing from the pivot reaches a compensation but its business error.
    assert!(
        catches
            .iter()
            .filter(|(_, next)| next == "ReleaseVehicle")
            .all(|(errors, _)| !errors.contains(&"States.ALL".to_owned()))
    );
    // The mock configuration exercises every path of the pivot.
    let config = mock::config(&saga);
    let cases = config["StateMachines"]["CarRental"]["TestCases"]
        .as_object()
        .unwrap();
    for case in [
        "TakeDepositCardDeclined",
        "TakeDepositOutcomeUnknown",
        "TakeDepositTimesOutThenSucceeds",
        "TakeDepositTimesOutThenCardDeclined",
    ] {
        assert!(cases.contains_key(case), "no test case {case}");
    }
    let unknown = &config["MockedResponses"]["TakeDepositOutcomeUnknown"];
    assert_eq!(unknown["0-3"]["Throw"]["Error"], "States.Timeout");
    // The diagram tells the story.
    let text = diagram::markdown(&saga);
    assert!(
        text.contains("RecordPivotUnknown: Rental PIVOT_UNKNOWN"),
        "{text}"
    );
}

#[test]
fn a_retriable_step_that_exhausts_its_retries_has_its_own_outcome() {
    // money-transfer sets both outcomes explicitly.
    let saga = compile(
        "money-transfer.saga.yaml",
        &spec_text("examples/money-transfer.saga.yaml"),
    );
    let definition = asl::definition(&saga);
    for step in ["NotifyPayer", "PostToLedger"] {
        assert_eq!(
            catch_targets(state(&definition, step)),
            vec![(
                vec!["States.ALL".into()],
                asl::RECORD_RETRIES_EXHAUSTED.into()
            )],
            "{step}"
        );
    }
    assert_eq!(
        root_write(&definition, asl::RECORD_RETRIES_EXHAUSTED),
        ("POSTING_STUCK".into(), "TransferPostingStuck".into())
    );
    assert_eq!(
        state(&definition, asl::RETRIES_EXHAUSTED)["Error"],
        asl::RETRIES_EXHAUSTED_ERROR
    );
    assert_eq!(
        root_write(&definition, asl::RECORD_PIVOT_UNKNOWN),
        ("CLEARING_UNKNOWN".into(), "TransferClearingUnknown".into())
    );
    // The compensation-failure outcome is only for failed compensations.
    for (name, s) in states_of(&definition) {
        if s["Type"] == "Task" && name != asl::RECORD_COMPENSATION_FAILED {
            let only_from_compensation = catch_targets(&s)
                .iter()
                .all(|(_, next)| next != asl::RECORD_COMPENSATION_FAILED);
            assert!(
                only_from_compensation,
                "{name} ends in the compensation failure"
            );
        }
    }
    // Every terminal outcome's Fail state has its own error name; the
    // states a refused root write ends in share `Saga.RootWriteFailed`.
    let fails: Vec<(String, Value)> = states_of(&definition)
        .into_iter()
        .filter(|(_, s)| s["Type"] == "Fail")
        .collect();
    for (name, s) in &fails {
        if name.ends_with(asl::WRITE_FAILED_SUFFIX) {
            assert_eq!(s["Error"], "Saga.RootWriteFailed", "{name}");
        }
    }
    let mut errors: Vec<String> = fails
        .iter()
        .filter(|(name, _)| !name.ends_with(asl::WRITE_FAILED_SUFFIX))
        .map(|(_, s)| s["Error"].as_str().unwrap().to_owned())
        .collect();
    let count = errors.len();
    errors.sort();
    errors.dedup();
    assert_eq!(errors.len(), count, "{errors:?}");
    assert_eq!(count, 4, "{errors:?}");
}

#[test]
fn a_pivot_must_be_idempotent() {
    let text = spec_text("examples/car-rental.saga.yaml").replace(
        "    kind: pivot\n",
        "    kind: pivot\n    idempotent: false\n",
    );
    let diagnostics = sagac_core::compile(&SourceFile::new("car-rental.saga.yaml", text))
        .expect_err("a non-idempotent pivot is refused");
    assert!(
        diagnostics
            .iter()
            .any(|d| d.code == sagac_core::codes::Code::PivotNotIdempotent),
        "{diagnostics:#?}"
    );
}

// Defect 5: helper state names (`.Caught`, `.Joined`, `.Needed`) were cut to
// fit 80 characters before the suffix was added, so long names sharing a
// prefix became one state: a duplicate name, or a compensation Task silently
// overwritten and dropped.

/// A valid order saga whose steps are `steps` (YAML, indented as list
/// items under `steps:`).
fn order_saga(steps: &str) -> String {
    format!(
        r#"sagac: 1
name: OrderCheckout
root:
  entity: Order
  id: order_id
  on_success: {{ status: PLACED, event: OrderPlaced }}
  on_failure: {{ status: CANCELLED, event: OrderCancelled }}
  on_compensation_failure: {{ status: STUCK, event: OrderStuck }}
table:
  name: OrderTable
entities:
  Order:
    pk: "ORDER#{{order_id}}"
    sk: METADATA
    fields:
      order_id: string
      status: string
outbox:
  bus: OrderEvents
  source: shop.order
events:
  OrderPlaced: {{ entity: Order }}
  OrderCancelled: {{ entity: Order }}
  OrderStuck: {{ entity: Order, alert: true }}
services:
  shipping:
    timeout: 10s
request:
  order_id: string
steps:
{steps}deployment:
  region: eu-west-1
"#
    )
}

/// One parallel group named `group` with a branch per `(step, compensation)`
/// name (`None`: the derived `Compensate<Step>`).
fn parallel_steps(group: &str, branches: &[(String, Option<String>)]) -> String {
    let mut out = format!("  - parallel:\n      name: {group}\n      branches:\n");
    for (i, (step, compensation)) in branches.iter().enumerate() {
        out.push_str(&format!(
            "        - name: {step}\n          service: shipping\n          action: act_{i}\n          compensation:\n            action: undo_{i}\n"
        ));
        if let Some(name) = compensation {
            out.push_str(&format!("            name: {name}\n"));
        }
    }
    // A later step, so a failure of it compensates every branch too.
    out.push_str(
        "  - name: Confirm\n    service: shipping\n    action: confirm\n    errors: [Refused]\n    compensation: { action: unconfirm }\n",
    );
    out
}

fn reachable(definition: &sagac_asl::Definition) -> std::collections::BTreeSet<String> {
    use sagac_asl::Graph as _;
    definition
        .reachable()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// The properties of the state names of a compiled parallel group.
/// Returns whether the spec was accepted.
fn check_state_names(text: &str, branches: &[(String, Option<String>)], group: &str) -> bool {
    let saga = match sagac_core::compile(&SourceFile::new("order.saga.yaml", text.to_owned())) {
        Ok(saga) => saga,
        Err(diagnostics) => {
            // Refused: only for names, each positioned.
            for d in &diagnostics {
                assert_eq!(d.code, sagac_core::codes::Code::InvalidStateName, "{d:#?}");
                assert!(d.span.is_some_and(|s| s.start < s.end), "{d:#?}");
            }
            return false;
        }
    };
    let definition = asl::definition(&saga);
    let states = states_of(&definition);
    let mut names: Vec<&str> = states.iter().map(|(n, _)| n.as_str()).collect();
    for name in &names {
        assert!(name.len() <= asl::MAX_STATE_NAME, "{name}");
    }
    let count = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), count, "duplicate state names");
    // Every step, compensation and helper state is there.
    let reached = reachable(&asl::machine(&saga));
    for (step, compensation) in branches {
        let compensation = compensation
            .clone()
            .unwrap_or_else(|| format!("Compensate{step}"));
        for name in [
            step.clone(),
            format!("{step}{}", asl::CAUGHT_SUFFIX),
            format!("{compensation}{}", asl::NEEDED_SUFFIX),
        ] {
            assert!(names.contains(&name.as_str()), "{name} missing");
        }
        assert_eq!(
            definition["States"][&compensation]["Type"], "Task",
            "{compensation} missing"
        );
        assert!(
            reached.contains(&compensation),
            "{compensation} unreachable"
        );
        assert!(
            reached.contains(&format!("{compensation}{}", asl::NEEDED_SUFFIX)),
            "{compensation}.Needed unreachable"
        );
    }
    assert!(names.contains(&format!("{group}{}", asl::JOINED_SUFFIX).as_str()));
    // The mock configuration mocks exactly the Task states, in every case.
    let tasks: std::collections::BTreeSet<String> = states
        .iter()
        .filter(|(_, s)| s["Type"] == "Task")
        .map(|(n, _)| n.clone())
        .collect();
    let config = mock::config(&saga);
    for (case, mocks) in config["StateMachines"]["OrderCheckout"]["TestCases"]
        .as_object()
        .unwrap()
    {
        let mocked: std::collections::BTreeSet<String> =
            mocks.as_object().unwrap().keys().cloned().collect();
        assert_eq!(mocked, tasks, "{case}");
    }
    // The diagram draws every state.
    let flowchart = diagram::flowchart(&saga);
    for name in &names {
        let id: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let drawn = [
            format!("{id}["),
            format!("{id}("),
            format!("{id}{{"),
            format!("subgraph {id} "),
        ]
        .iter()
        .any(|node| flowchart.contains(node));
        assert!(drawn, "{name} not drawn");
    }
    true
}

#[test]
fn long_names_sharing_a_prefix_are_the_reported_cases() {
    // Two branch steps of 76 characters differing in the last one: cut to
    // 73 + `.Caught`, they were one name.
    let prefix = format!("Reserve{}", "A".repeat(68));
    let branches = vec![
        (format!("{prefix}X"), None::<String>),
        (format!("{prefix}Y"), None),
    ];
    let text = order_saga(&parallel_steps("Fulfil", &branches));
    let diagnostics = sagac_core::compile(&SourceFile::new("order.saga.yaml", text))
        .expect_err("names without room for their helper states are refused");
    assert!(
        diagnostics
            .iter()
            .all(|d| d.code == sagac_core::codes::Code::InvalidStateName),
        "{diagnostics:#?}"
    );
    // Compensations of 78 characters sharing 77: their `.Needed` gates were
    // one state, and one compensation Task was dropped.
    let comp = format!("Release{}", "B".repeat(70));
    let branches = vec![
        ("ReserveX".to_owned(), Some(format!("{comp}1"))),
        ("ReserveY".to_owned(), Some(format!("{comp}2"))),
    ];
    let text = order_saga(&parallel_steps("Fulfil", &branches));
    assert!(sagac_core::compile(&SourceFile::new("order.saga.yaml", text)).is_err());
    // Within the room, they are all kept.
    let comp = format!("Release{}", "B".repeat(65));
    let branches = vec![
        ("ReserveX".to_owned(), Some(format!("{comp}1"))),
        ("ReserveY".to_owned(), Some(format!("{comp}2"))),
    ];
    let text = order_saga(&parallel_steps("Fulfil", &branches));
    assert!(check_state_names(&text, &branches, "Fulfil"));
}

mod names {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    /// A PascalCase name of `len` characters: `prefix`, then a tail.
    fn name(prefix: &str, len: usize, tail: &str) -> String {
        let mut out: String = prefix.chars().take(len).collect();
        let mut tail = tail.chars().cycle();
        while out.len() < len {
            out.push(tail.next().unwrap_or('Z'));
        }
        out
    }

    /// Long names (50 to 80 characters) sharing a prefix: either a
    /// positioned refusal, or unique names of at most 80 characters with
    /// every compensation Task present and reachable, mocked and drawn.
    /// Both outcomes must occur, or the property says nothing.
    #[test]
    fn helper_state_names_never_collide() {
        let strategy = (
            "[A-Z][a-z0-9]{60,79}",
            prop::collection::vec((50usize..=80, 50usize..=80, any::<bool>()), 2..=3),
            prop::collection::vec("[A-Z0-9]{1,4}", 3),
            6usize..=80,
        );
        let accepted = std::cell::Cell::new(0usize);
        let refused = std::cell::Cell::new(0usize);
        let mut runner = TestRunner::new(Config::with_cases(256));
        runner
            .run(&strategy, |(prefix, lengths, tails, group_len)| {
                let group = name(&format!("G{prefix}"), group_len, "Grp");
                let mut branches = Vec::new();
                for (i, (step_len, comp_len, explicit)) in lengths.iter().enumerate() {
                    let tail = format!("{}{i}", tails[i]);
                    // The last character keeps the spec's own names distinct.
                    let step = name(&prefix, *step_len, &tail);
                    let step = format!("{}{i}", &step[..step.len() - 1]);
                    let compensation = explicit.then(|| {
                        let c = name(&format!("Undo{prefix}"), *comp_len, &tail);
                        format!("{}{i}", &c[..c.len() - 1])
                    });
                    branches.push((step, compensation));
                }
                let text = order_saga(&parallel_steps(&group, &branches));
                if check_state_names(&text, &branches, &group) {
                    accepted.set(accepted.get() + 1);
                } else {
                    refused.set(refused.get() + 1);
                }
                Ok(())
            })
            .unwrap();
        assert!(accepted.get() >= 10, "only {} accepted", accepted.get());
        assert!(refused.get() >= 10, "only {} refused", refused.get());
    }
}

// Defect 7: the outbox items the state machine writes (the root writes)
// carried no TTL although the spec sets `outbox.ttl`.

/// Every outbox item a root write puts, by state: (state, item).
fn outbox_puts(definition: &Value, outbox_prefix: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (name, s) in states_of(definition) {
        if s["Resource"] != "arn:aws:states:::aws-sdk:dynamodb:transactWriteItems" {
            continue;
        }
        for item in s["Arguments"]["TransactItems"].as_array().unwrap() {
            let put = &item["Put"]["Item"];
            let sk = put["SK"]["S"].as_str().unwrap_or_default();
            if sk.starts_with(&format!("{{% \"{outbox_prefix}")) {
                out.push((name.clone(), put.clone()));
            }
        }
    }
    out
}

#[test]
fn every_outbox_item_of_the_root_writes_has_its_ttl() {
    for (spec, ttl) in [
        ("trip.saga.yaml", 7 * 86_400),
        ("examples/loyalty-redemption.saga.yaml", 86_400),
        ("examples/money-transfer.saga.yaml", 30 * 86_400),
    ] {
        let saga = compile(spec, &spec_text(spec));
        assert_eq!(saga.outbox.ttl_seconds, ttl, "{spec}");
        let attribute = saga.table.ttl.clone().expect("a TTL attribute");
        let definition = asl::definition(&saga);
        let puts = outbox_puts(&definition, "OUTBOX#");
        // The start event (if any) and one per terminal write.
        assert!(puts.len() >= 3, "{spec}: {puts:?}");
        for (state, item) in &puts {
            assert_eq!(
                item[&attribute],
                serde_json::json!({"N": format!(
                    "{{% $string($floor($toMillis($states.context.State.EnteredTime) / 1000) + {ttl}) %}}"
                )}),
                "{spec}: {state}"
            );
        }
    }
}

#[test]
fn tasks_are_jsonata_states_and_nothing_else_is() {
    let saga = compile("trip.saga.yaml", &spec_text("trip.saga.yaml"));
    let definition = asl::definition(&saga);
    assert!(definition.get("QueryLanguage").is_none());
    for (name, s) in states_of(&definition) {
        // Root writes compute the outbox TTL; Lambda tasks pass each step
        // only its input, leaving out what is missing, which only JSONata
        // can say.
        let task = s["Type"] == "Task";
        assert_eq!(
            s.get("QueryLanguage").and_then(Value::as_str),
            task.then_some(asl::JSONATA),
            "{name}"
        );
        if task {
            // No JSONPath field survives in a JSONata state.
            let text = s.to_string();
            for jsonpath in [
                "\"Parameters\"",
                "\"ResultPath\"",
                "\"ResultSelector\"",
                ".$\"",
            ] {
                assert!(!text.contains(jsonpath), "{name} has {jsonpath}");
            }
        }
        if s["Resource"] == "arn:aws:states:::aws-sdk:dynamodb:transactWriteItems" {
            assert_eq!(s["Output"], "{% $states.input %}", "{name}");
        }
    }
}

/// Least data: the card token reaches the payment function alone, through
/// no field and no context object.
#[test]
fn each_lambda_receives_only_its_input() {
    let saga = compile("trip.saga.yaml", &spec_text("trip.saga.yaml"));
    let definition = asl::definition(&saga);
    for (name, s) in states_of(&definition) {
        if s["Resource"] != "arn:aws:states:::lambda:invoke" {
            continue;
        }
        let payload = s["Arguments"]["Payload"].as_str().unwrap_or_default();
        assert!(
            !payload.contains("$states.context.Execution.Input,"),
            "{name}"
        );
        assert!(!payload.contains("$states.context}"), "{name}");
        assert!(!payload.contains("$states.input.request}"), "{name}");
        let card = payload.contains("card_token");
        let payment = name == "ProcessPayment" || name == "RefundPayment";
        assert_eq!(card, payment, "{name}: {payload}");
    }
}

#[test]
fn outbox_ttl_needs_the_tables_ttl_attribute() {
    let text = spec_text("examples/money-transfer.saga.yaml").replace("  ttl: expires_at\n", "");
    let diagnostics = sagac_core::compile(&SourceFile::new("money-transfer.saga.yaml", text))
        .expect_err("an outbox TTL without a TTL attribute is refused");
    assert!(
        diagnostics
            .iter()
            .any(|d| d.code == sagac_core::codes::Code::MissingKey
                && d.message.contains("outbox.ttl")),
        "{diagnostics:#?}"
    );
    // Without any TTL in the spec, the items carry none (and the spec is fine).
    let saga = compile(
        "car-rental.saga.yaml",
        &spec_text("examples/car-rental.saga.yaml"),
    );
    assert!(saga.table.ttl.is_none());
    for (state, item) in outbox_puts(&asl::definition(&saga), "OUTBOX#") {
        assert!(item.get("expires_at").is_none(), "{state}");
    }
}
