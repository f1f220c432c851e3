//! `sagac verify`: every failure path of a saga, run locally, checked
//! against the saga's invariants.
//!
//! The paths come from the spec: every forward step failing with each of
//! its business errors, ambiguously (a timeout, `Lambda.Unknown`, a
//! response lost after the service ran) and transiently (once, then
//! succeeding; and on every attempt); every compensation failing
//! transiently once and for good (with the step after its own failing, so
//! that it runs); every Lambda task delivered twice. Each path runs on a
//! fresh embedded store, with the Lambda tasks answered by the generated
//! mock configuration's happy path or, through [`verify_with`], by the
//! developers' own handlers.
//!
//! The invariants, checked on each path's history and store:
//!
//! - the terminal state and root status the spec names for that failure
//!   (`on_success`, `on_failure`, `on_compensation_failure`,
//!   `on_pivot_unknown`, `on_retries_exhausted`);
//! - the compensations that run are exactly those of the completed
//!   compensatable steps, plus the failed step's own when its failure was
//!   ambiguous, in reverse order of the stages (any order inside a
//!   parallel group), each effective once; none at all after the pivot or
//!   for an ambiguous pivot;
//! - exactly one outcome event in the outbox, the one of that status.

use std::sync::Arc;

use sagac_core::ir::{Outcome, Saga, Stage, StepKind};
use sagac_executor::{EventType, Execution, Status, TaskTarget};
use sagac_runtime::store::MemoryStore;
use serde_json::Value;

use crate::spec::{FailureKind, Injection, LocalSaga, Report};

/// One failure path and what the spec says must happen on it.
#[derive(Debug, Clone)]
pub struct Path {
    /// A readable name, e.g. `ReserveHotel NoRoomsAvailable`.
    pub name: String,
    /// The injected failures.
    pub injections: Vec<Injection>,
    /// Deliver every Lambda task twice (the second answer counts).
    pub twice: bool,
    /// The root status the saga must end in.
    pub status: String,
    /// The outcome event it must write.
    pub event: String,
    /// Whether the execution must succeed.
    pub succeeds: bool,
}

/// What one path did, and what was wrong with it.
#[derive(Debug, Clone)]
pub struct Outcomes {
    /// The path.
    pub path: Path,
    /// The root status seen (`-` when there is no root item).
    pub status: String,
    /// The execution's status.
    pub execution: Status,
    /// The compensations that ran, in order.
    pub compensations: Vec<String>,
    /// The broken invariants; empty when the path holds.
    pub violations: Vec<String>,
    /// Every item of the path's store afterwards (for checks of the
    /// services' own data, such as no seat left held).
    pub items: Vec<sagac_runtime::store::Item>,
}

impl Outcomes {
    /// Whether every invariant held.
    pub fn ok(&self) -> bool {
        self.violations.is_empty()
    }

    /// The `sagac run` command that replays this path.
    pub fn command(&self, spec: &str) -> String {
        let mut command = format!("sagac run {spec}");
        for injection in &self.path.injections {
            command.push_str(&format!(
                " --fail {}={}",
                injection.state,
                injection.kind.to_text()
            ));
        }
        command
    }
}

fn outcome_path(
    name: String,
    injections: Vec<Injection>,
    outcome: &Outcome,
    succeeds: bool,
) -> Path {
    Path {
        name,
        injections,
        twice: false,
        status: outcome.status.clone(),
        event: outcome.event.clone(),
        succeeds,
    }
}

fn inject(state: &str, kind: FailureKind) -> Injection {
    Injection {
        state: state.to_owned(),
        kind,
    }
}

/// Every failure path of the saga.
pub fn paths(saga: &Saga) -> Vec<Path> {
    let root = &saga.root;
    let mut out = vec![outcome_path(
        "happy path".into(),
        vec![],
        &root.success,
        true,
    )];
    let mut twice = outcome_path(
        "every task delivered twice".into(),
        vec![],
        &root.success,
        true,
    );
    twice.twice = true;
    out.push(twice);
    let steps: Vec<_> = saga.steps().collect();
    for (i, step) in steps.iter().enumerate() {
        let name = &step.name;
        for error in &step.errors {
            out.push(outcome_path(
                format!("{name} {error}"),
                vec![inject(name, FailureKind::Business(Some(error.clone())))],
                &root.failure,
                false,
            ));
        }
        // An ambiguous failure: compensated (a compensatable step), retried
        // until definite (a pivot), retried (a retriable step).
        let ambiguous = match step.kind {
            StepKind::Compensatable => &root.failure,
            StepKind::Pivot => &root.pivot_unknown,
            StepKind::Retriable => &root.retries_exhausted,
        };
        for (kind, what) in [
            (FailureKind::Ambiguous, "times out"),
            (FailureKind::Unknown, "Lambda.Unknown"),
            (FailureKind::Lost, "response lost"),
            (FailureKind::Transient, "transient on every attempt"),
        ] {
            // A pivot or a retriable step retries a timeout until its
            // retries run out; an injected failure lasts every attempt.
            out.push(outcome_path(
                format!("{name} {what}"),
                vec![inject(name, kind)],
                ambiguous,
                false,
            ));
        }
        out.push(outcome_path(
            format!("{name} transient once"),
            vec![inject(name, FailureKind::TransientOnce)],
            &root.success,
            true,
        ));
        // Its compensation failing: make it run by failing the next step
        // definitely, or this one ambiguously when it is the last.
        let Some(compensation) = &step.compensation else {
            continue;
        };
        let trigger = match steps.get(i + 1) {
            Some(next) if !next.errors.is_empty() => {
                inject(&next.name, FailureKind::Business(None))
            }
            Some(next) if next.kind == StepKind::Compensatable => {
                inject(&next.name, FailureKind::Ambiguous)
            }
            _ if step.kind == StepKind::Compensatable => inject(name, FailureKind::Ambiguous),
            _ => continue,
        };
        let trigger_text = format!("{} {}", trigger.state, trigger.kind.to_text());
        out.push(outcome_path(
            format!("{} transient once ({trigger_text})", compensation.name),
            vec![
                trigger.clone(),
                inject(&compensation.name, FailureKind::TransientOnce),
            ],
            &root.failure,
            false,
        ));
        out.push(outcome_path(
            format!("{} fails ({trigger_text})", compensation.name),
            vec![trigger, inject(&compensation.name, FailureKind::Transient)],
            &root.compensation_failure,
            false,
        ));
    }
    out
}

/// A target that delivers every Lambda task twice and answers with the
/// second delivery (which must agree with the first).
struct Twice<'a>(&'a dyn TaskTarget);

impl TaskTarget for Twice<'_> {
    fn invoke<'a>(
        &'a self,
        request: sagac_executor::TaskRequest<'a>,
    ) -> sagac_executor::TaskFuture<'a> {
        Box::pin(async move {
            let first = self.0.invoke(request).await;
            let second = self.0.invoke(request).await;
            if first.result != second.result {
                return sagac_executor::TaskResponse::err(sagac_executor::TaskError::new(
                    "Verify.DuplicateDisagrees",
                    format!(
                        "{} answered a duplicate delivery differently: {:?} then {:?}",
                        request.state_name, first.result, second.result
                    ),
                ));
            }
            second
        })
    }
}

/// The Lambda task states a run entered, in order, once per entry.
fn entered(execution: &Execution) -> Vec<String> {
    execution
        .events
        .iter()
        .filter(|e| e.kind == EventType::TaskStateEntered)
        .filter_map(|e| e.state_name().map(str::to_owned))
        .collect()
}

/// Runs every path with the Lambda tasks answered by the generated mock
/// configuration's happy path.
pub async fn verify(local: &LocalSaga<'_>) -> Vec<Outcomes> {
    let Ok(mocks) = local.mock("HappyPath") else {
        return Vec::new();
    };
    verify_with(local, |_store| Box::new(&mocks) as Box<dyn TaskTarget + '_>).await
}

/// Runs every path with the Lambda tasks answered by `lambdas`, built per
/// path over that path's fresh store (in-process handlers bind to it).
pub async fn verify_with<'t, F>(local: &LocalSaga<'_>, lambdas: F) -> Vec<Outcomes>
where
    F: Fn(Arc<MemoryStore>) -> Box<dyn TaskTarget + 't>,
{
    let mut out = Vec::new();
    for path in paths(local.saga()) {
        let store = local.store();
        let target = lambdas(Arc::clone(&store));
        let twice = Twice(target.as_ref());
        let answer: &dyn TaskTarget = if path.twice { &twice } else { target.as_ref() };
        let report = local
            .run(
                local.sample_input().clone(),
                answer,
                store.as_ref(),
                &path.injections,
                0,
            )
            .await;
        let mut outcome = check(local.saga(), path, &report);
        outcome.items = store.items();
        out.push(outcome);
    }
    out
}

/// Checks one path's invariants.
fn check(saga: &Saga, path: Path, report: &Report) -> Outcomes {
    let mut violations = Vec::new();
    let status_field = &saga.root.status_field;
    let status = report
        .root
        .as_ref()
        .and_then(|r| r.get(status_field))
        .and_then(Value::as_str)
        .unwrap_or("-")
        .to_owned();
    if status != path.status {
        violations.push(format!("root status {status}, expected {}", path.status));
    }
    let succeeded = report.execution.status == Status::Succeeded;
    if succeeded != path.succeeds {
        violations.push(format!(
            "execution {} ({}), expected {}",
            report.execution.status.as_str(),
            report.execution.error.as_deref().unwrap_or("no error"),
            if path.succeeds { "SUCCEEDED" } else { "FAILED" }
        ));
    }

    // Compensations: exactly the completed compensatable steps' (and the
    // failed step's own when its failure was ambiguous), in reverse stage
    // order; none after the pivot.
    let states = entered(&report.execution);
    let compensation_of = |state: &str| {
        saga.steps()
            .find(|s| s.compensation.as_ref().is_some_and(|c| c.name == state))
            .map(|s| s.name.clone())
    };
    let mut compensations: Vec<String> = Vec::new();
    for state in &states {
        if compensation_of(state).is_some() && compensations.last() != Some(state) {
            compensations.push(state.clone());
        }
    }
    let failed_forward = path
        .injections
        .iter()
        .find(|i| saga.steps().any(|s| s.name == i.state));
    let mut expected: Vec<String> = Vec::new();
    if let Some(failed) = failed_forward {
        let failed_step = saga.steps().find(|s| s.name == failed.state);
        let compensates = failed_step.is_some_and(|s| match s.kind {
            StepKind::Compensatable => true,
            StepKind::Pivot => matches!(failed.kind, FailureKind::Business(_)),
            StepKind::Retriable => false,
        }) && failed.kind != FailureKind::TransientOnce;
        if compensates {
            for stage in &saga.stages {
                let in_stage = stage.steps().iter().any(|s| s.name == failed.state);
                for step in stage.steps() {
                    let completed = report.execution.events.iter().any(|e| {
                        e.kind == EventType::TaskStateExited && e.state_name() == Some(&step.name)
                    });
                    let own = step.name == failed.state
                        && failed.kind.is_ambiguous()
                        && step.kind == StepKind::Compensatable;
                    let before_failure = !in_stage || step.name != failed.state;
                    if let Some(c) = &step.compensation
                        && ((completed && before_failure) || own)
                    {
                        expected.push(c.name.clone());
                    }
                }
                if in_stage {
                    break;
                }
            }
            expected.reverse();
        }
    }
    let same_set = {
        let (mut a, mut b) = (compensations.clone(), expected.clone());
        a.sort();
        b.sort();
        a == b
    };
    if !same_set {
        violations.push(format!(
            "compensations {compensations:?}, expected {expected:?}"
        ));
    } else if compensations != expected {
        // The same set: only a parallel group's branches may reorder.
        let stage_of = |name: &str| {
            saga.stages.iter().position(|stage: &Stage| {
                stage
                    .steps()
                    .iter()
                    .any(|s| s.compensation.as_ref().is_some_and(|c| c.name == name))
            })
        };
        let stages: Vec<Option<usize>> = compensations.iter().map(|c| stage_of(c)).collect();
        if stages.windows(2).any(|w| w[0] < w[1]) {
            violations.push(format!(
                "compensations {compensations:?} are not in reverse order of the stages"
            ));
        }
    }
    let mut seen = compensations.clone();
    seen.dedup();
    let duplicates = seen.len() != compensations.len() || {
        let mut sorted = compensations.clone();
        sorted.sort();
        sorted.windows(2).any(|w| w[0] == w[1])
    };
    if duplicates {
        violations.push(format!("a compensation ran twice: {compensations:?}"));
    }

    // Exactly one outcome event, the expected one.
    let outcome_events: Vec<&str> = [
        &saga.root.success,
        &saga.root.failure,
        &saga.root.compensation_failure,
        &saga.root.pivot_unknown,
        &saga.root.retries_exhausted,
    ]
    .iter()
    .map(|o| o.event.as_str())
    .collect();
    let written: Vec<&str> = report
        .outbox
        .iter()
        .filter_map(|i| i.get("event_type").and_then(Value::as_str))
        .filter(|t| outcome_events.contains(t))
        .collect();
    if written != [path.event.as_str()] {
        violations.push(format!(
            "outcome events {written:?}, expected exactly [{}]",
            path.event
        ));
    }
    // One outbox event per state change: each committed step (an
    // idempotency record in the root's partition) wrote exactly one, and
    // each root write its own.
    let sk = |i: &sagac_runtime::store::Item| {
        i.get(&saga.table.sk)
            .and_then(Value::as_str)
            .is_some_and(|v| v.starts_with(sagac_runtime::store::IDEMPOTENCY_PREFIX))
    };
    let committed_steps = report.items.iter().filter(|i| sk(i)).count();
    let execution = &report.execution.name;
    let root_events = report
        .outbox
        .iter()
        .filter(|i| {
            i.get("event_id")
                .and_then(Value::as_str)
                .is_some_and(|id| id.starts_with(&format!("{execution}#")))
        })
        .count();
    if report.outbox.len() != committed_steps + root_events {
        violations.push(format!(
            "{} outbox events for {committed_steps} committed steps and {root_events} root writes",
            report.outbox.len()
        ));
    }
    Outcomes {
        path,
        status,
        execution: report.execution.status,
        compensations,
        violations,
        items: Vec::new(),
    }
}

/// The summary table: path, expected, seen.
pub fn table(outcomes: &[Outcomes]) -> String {
    let rows: Vec<[String; 4]> = outcomes
        .iter()
        .map(|o| {
            [
                o.path.name.clone(),
                o.path.status.clone(),
                format!(
                    "{} {}{}",
                    o.status,
                    o.execution.as_str(),
                    if o.compensations.is_empty() {
                        String::new()
                    } else {
                        format!(" undo {}", o.compensations.join(","))
                    }
                ),
                if o.ok() {
                    "ok".into()
                } else {
                    "VIOLATED".into()
                },
            ]
        })
        .collect();
    let header = ["path", "expected", "seen", ""].map(str::to_owned);
    let table: Vec<Vec<String>> = std::iter::once(&header)
        .chain(&rows)
        .map(|row| row.to_vec())
        .collect();
    sagac_executor::render::columns(&table, &[])
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JUnit XML: one test case per path, a failure per violated path with
/// the violations and the command that replays it.
pub fn junit(saga: &str, spec: &str, outcomes: &[Outcomes]) -> String {
    let failures = outcomes.iter().filter(|o| !o.ok()).count();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"sagac verify {}\" tests=\"{}\" failures=\"{failures}\">\n",
        xml(saga),
        outcomes.len()
    );
    for o in outcomes {
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\"",
            xml(saga),
            xml(&o.path.name)
        ));
        if o.ok() {
            out.push_str("/>\n");
        } else {
            out.push_str(&format!(
                ">\n      <failure message=\"{}\">{}\nreproduce: {}</failure>\n    </testcase>\n",
                xml(&o.violations.join("; ")),
                xml(&o.violations.join("\n")),
                xml(&o.command(spec))
            ));
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sagac_asl::State;
    use sagac_core::emit::asl;

    fn trip() -> Saga {
        let text = include_str!("../../../spec/trip.saga.yaml");
        sagac_core::compile(&sagac_core::source::SourceFile::new(
            "trip",
            text.to_owned(),
        ))
        .expect("the reference spec compiles")
    }

    #[test]
    fn the_generated_definition_holds_on_every_path() {
        let saga = trip();
        let local = LocalSaga::new(&saga).unwrap();
        let outcomes = sagac_executor::block_on(verify(&local));
        assert!(outcomes.len() > 20, "{}", outcomes.len());
        let violated: Vec<_> = outcomes.iter().filter(|o| !o.ok()).collect();
        assert!(violated.is_empty(), "{}", table(&outcomes));
    }

    /// A definition that records the wrong status when it rolls back, and
    /// one whose first step no longer retries the runtime's transient
    /// error, are caught, with the command that replays the path.
    #[test]
    fn broken_definitions_are_caught() {
        let saga = trip();
        let text = asl::definition_text(&saga);
        let wrong_status = text.replacen("\"CANCELLED\"", "\"CONFIRMED\"", 1);
        assert_ne!(wrong_status, text);
        let local = LocalSaga::new(&saga)
            .unwrap()
            .with_definition(&wrong_status)
            .unwrap();
        let outcomes = sagac_executor::block_on(verify(&local));
        let violated: Vec<&Outcomes> = outcomes.iter().filter(|o| !o.ok()).collect();
        assert!(
            violated
                .iter()
                .any(|o| o.path.name == "ReserveHotel NoRoomsAvailable"
                    && o.violations
                        .iter()
                        .any(|v| v.contains("root status CONFIRMED"))),
            "{}",
            table(&outcomes)
        );
        assert!(violated.iter().all(|o| o.path.status == "CANCELLED"));
        let o = violated[0];
        assert!(
            o.command("spec/trip.saga.yaml")
                .starts_with("sagac run spec/trip.saga.yaml --fail ")
        );
        let xml = junit("TripBooking", "spec/trip.saga.yaml", &outcomes);
        assert!(
            xml.contains(&format!("failures=\"{}\"", violated.len())),
            "{xml}"
        );
        assert!(
            xml.contains("reproduce: sagac run spec/trip.saga.yaml --fail"),
            "{xml}"
        );

        let mut machine = asl::machine(&saga);
        let Some(State::Task(reserve)) = machine.states.get_mut("ReserveFlight") else {
            panic!("ReserveFlight is a Task state of the machine");
        };
        for retrier in &mut reserve.retry {
            retrier.error_equals.retain(|e| e != asl::TRANSIENT_ERROR);
        }
        reserve.retry.retain(|r| !r.error_equals.is_empty());
        let local = LocalSaga::new(&saga)
            .unwrap()
            .with_definition(&serde_json::to_string(&machine).unwrap())
            .unwrap();
        let outcomes = sagac_executor::block_on(verify(&local));
        let once = outcomes
            .iter()
            .find(|o| o.path.name == "ReserveFlight transient once")
            .unwrap();
        assert!(!once.ok(), "{}", table(&outcomes));
    }
}
