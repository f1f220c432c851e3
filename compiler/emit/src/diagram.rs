//! `diagram.md`: a Mermaid flowchart of the state machine, drawn from the
//! generated definition itself (so it cannot disagree with it), and a
//! sequence diagram of the saga with its compensation paths, drawn from the
//! IR (like section 1.2 of the seed architecture document).

use std::fmt::Write as _;

use sagac_asl::{Graph, State, States};

use super::OutputFile;
use super::asl;
use crate::ir::{Saga, Stage, Step, StepKind};

/// The file name of the diagrams.
pub const DIAGRAM_FILE: &str = "diagram.md";

/// A Mermaid node id for a state name (`ReserveCar.Caught` → `ReserveCar_Caught`).
fn id(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Text inside a Mermaid label, quoted.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "#quot;"))
}

/// What a state does, for its node's second line.
fn subtitle(saga: &Saga, name: &str) -> Option<String> {
    let root = &saga.root;
    let entity = &root.entity;
    match name {
        asl::RECORD_STARTED => Some(match &root.on_start {
            Some(event) => format!("{entity} {} + {event}", root.initial),
            None => format!("{entity} {}", root.initial),
        }),
        asl::RECORD_SUCCEEDED => Some(format!(
            "{entity} {} + {}",
            root.success.status, root.success.event
        )),
        asl::RECORD_FAILED => Some(format!(
            "{entity} {} + {}",
            root.failure.status, root.failure.event
        )),
        asl::RECORD_COMPENSATION_FAILED => Some(format!(
            "{entity} {} + {}",
            root.compensation_failure.status, root.compensation_failure.event
        )),
        asl::RECORD_PIVOT_UNKNOWN => Some(format!(
            "{entity} {} + {}",
            root.pivot_unknown.status, root.pivot_unknown.event
        )),
        asl::RECORD_RETRIES_EXHAUSTED => Some(format!(
            "{entity} {} + {}",
            root.retries_exhausted.status, root.retries_exhausted.event
        )),
        _ => saga.steps().find_map(|step| {
            if step.name == name {
                Some(format!("{}.{}", step.service, step.action))
            } else {
                step.compensation
                    .as_ref()
                    .filter(|c| c.name == name)
                    .map(|c| format!("{}.{}", step.service, c.action))
            }
        }),
    }
}

fn class_of(saga: &Saga, name: &str, state: &State) -> &'static str {
    match state {
        State::Choice(_) => "choice",
        State::Succeed(_) => "success",
        State::Fail(_) => "failure",
        State::Pass(_) => "choice",
        _ if name.starts_with("Record")
            && name != asl::RECORD_STARTED
            && saga.steps().all(|s| s.name != name) =>
        {
            "record"
        }
        _ if name == asl::RECORD_STARTED => "record",
        _ if saga
            .steps()
            .any(|s| s.compensation.as_ref().is_some_and(|c| c.name == name)) =>
        {
            "compensation"
        }
        _ => "step",
    }
}

/// The Mermaid flowchart of the state machine.
pub fn flowchart(saga: &Saga) -> String {
    let definition = asl::machine(saga);
    let mut out = String::from("flowchart TD\n");
    out.push_str("    classDef step fill:#e8f0fe,stroke:#3c6fb6\n");
    out.push_str("    classDef record fill:#eef6ee,stroke:#3b7d3b\n");
    out.push_str("    classDef compensation fill:#fdf0e6,stroke:#c0651b\n");
    out.push_str("    classDef choice fill:#f6f6f6,stroke:#888888\n");
    out.push_str("    classDef success fill:#d9f2d9,stroke:#2e7d32,stroke-width:2px\n");
    out.push_str("    classDef failure fill:#fbe3e3,stroke:#b3261e,stroke-width:2px\n");
    let _ = writeln!(out, "    start((\" \")) --> {}", id(definition.start_at()));
    let mut edges = Vec::new();
    nodes(saga, definition.states(), 1, &mut out, &mut edges);
    for edge in edges {
        let _ = writeln!(out, "    {edge}");
    }
    out
}

fn nodes(saga: &Saga, states: &States, depth: usize, out: &mut String, edges: &mut Vec<String>) {
    let pad = "    ".repeat(depth);
    for (name, state) in states {
        if let State::Parallel(parallel) = state {
            let _ = writeln!(
                out,
                "{pad}subgraph {} [{}]",
                id(name),
                quote(&format!("{name} (parallel)"))
            );
            let _ = writeln!(out, "{pad}    direction TB");
            for branch in &parallel.branches {
                nodes(saga, branch.states(), depth + 1, out, edges);
            }
            let _ = writeln!(out, "{pad}end");
        } else {
            let label = match subtitle(saga, name) {
                Some(sub) => format!("{name}<br/><small>{sub}</small>"),
                None => name.clone(),
            };
            let shape = match state {
                State::Choice(_) => format!("{{{}}}", quote(&label)),
                State::Pass(_) => format!("([{}])", quote(&label)),
                State::Succeed(_) | State::Fail(_) => format!("([{}])", quote(&label)),
                _ => format!("[{}]", quote(&label)),
            };
            let _ = writeln!(
                out,
                "{pad}{}{shape}:::{}",
                id(name),
                class_of(saga, name, state)
            );
        }
        state_edges(saga, name, state, edges);
    }
}

fn state_edges(saga: &Saga, name: &str, state: &State, edges: &mut Vec<String>) {
    let from = id(name);
    if let State::Choice(choice) = state {
        let (when, otherwise) = if name.ends_with(asl::JOINED_SUFFIX) {
            ("a branch failed", "all completed")
        } else if name.ends_with(asl::NEEDED_SUFFIX) {
            ("completed or failed ambiguously", "skip")
        } else if name == asl::COMPENSATION_OUTCOME {
            ("a compensation failed", "all compensated")
        } else {
            ("when", "otherwise")
        };
        for rule in &choice.choices {
            edges.push(format!("{from} -->|{}| {}", quote(when), id(&rule.next)));
        }
        if let Some(next) = &choice.default {
            edges.push(format!("{from} -->|{}| {}", quote(otherwise), id(next)));
        }
        return;
    }
    if let Some(next) = state.next() {
        edges.push(format!("{from} --> {}", id(next)));
    }
    if state.is_end() && matches!(state, State::Task(_)) && !name.contains('.') {
        // Only the top-level happy-path end; branch ends rejoin the Parallel.
        if name == asl::RECORD_SUCCEEDED {
            edges.push(format!("{from} --> finished(((\" \")))"));
        }
    }
    // A compensation's catch keeps the chain going after its retries.
    let compensation = saga
        .steps()
        .filter_map(|s| s.compensation.as_ref())
        .any(|c| c.name == name);
    for catch in state.catchers() {
        let next = catch.next.as_str();
        let errors: Vec<&str> = catch.error_equals.iter().map(String::as_str).collect();
        let label = if next.ends_with(asl::WRITE_FAILED_SUFFIX) {
            "write failed".to_owned()
        } else if errors == ["States.ALL"] {
            if compensation
                || next == asl::RECORD_PIVOT_UNKNOWN
                || next == asl::RECORD_RETRIES_EXHAUSTED
            {
                "failed after retries".to_owned()
            } else {
                "ambiguous failure".to_owned()
            }
        } else if errors == [asl::TRANSACTION_CANCELED] {
            "already applied".to_owned()
        } else {
            errors.join(", ")
        };
        edges.push(format!("{from} -.->|{}| {}", quote(&label), id(next)));
    }
}

/// Participant alias of a service.
fn participant(saga: &Saga, service: &str) -> String {
    // Suffixed, so no service can take the alias of the client (`C`), the
    // state machine (`SF`) or the table (`DB`).
    format!(
        "{}Fn",
        saga.service(service)
            .map_or_else(|| id(service), |s| s.pascal.clone())
    )
}

/// The Mermaid sequence diagram of the saga and its compensation paths.
pub fn sequence(saga: &Saga) -> String {
    let mut out = String::from("sequenceDiagram\n");
    let _ = writeln!(out, "    participant C as Client");
    let _ = writeln!(out, "    participant SF as {} state machine", saga.name);
    let _ = writeln!(out, "    participant DB as {}", saga.table.name);
    let mut seen: Vec<&str> = Vec::new();
    for step in saga.steps() {
        if !seen.contains(&step.service.as_str()) {
            seen.push(&step.service);
            let _ = writeln!(
                out,
                "    participant {} as {} service (Lambda)",
                participant(saga, &step.service),
                step.service
            );
        }
    }
    let start = match &saga.api {
        Some(api) => format!(
            "POST {} → StartExecution (name = {})",
            api.start_path, saga.root.id_field
        ),
        None => format!("StartExecution (name = {})", saga.root.id_field),
    };
    let _ = writeln!(out, "    C->>SF: {start}");
    let started = match &saga.root.on_start {
        Some(event) => format!(
            "{} {} + {event} (outbox)",
            saga.root.entity, saga.root.initial
        ),
        None => format!("{} {}", saga.root.entity, saga.root.initial),
    };
    let _ = writeln!(out, "    SF->>DB: RecordStarted: {started}");
    stages(saga, 0, 1, &mut out);
    let _ = writeln!(
        out,
        "    Note over SF,DB: A compensation still failing after its retries does not stop the others: they run, then RecordCompensationFailed sets {} and writes {} (alert), and the execution ends in CompensationFailed.",
        saga.root.compensation_failure.status, saga.root.compensation_failure.event
    );
    out
}

/// The compensation lines for everything before stage `index` (reverse order).
fn undo(saga: &Saga, index: usize, depth: usize, out: &mut String) {
    let pad = "    ".repeat(depth);
    for stage in saga.stages[..index].iter().rev() {
        for step in stage.steps().iter().rev() {
            if let Some(comp) = &step.compensation {
                let p = participant(saga, &step.service);
                let _ = writeln!(out, "{pad}SF->>{p}: {}", comp.name);
                let _ = writeln!(out, "{pad}{p}-->>SF: undone");
            }
        }
    }
}

fn rolled_back(saga: &Saga, depth: usize, out: &mut String) {
    let pad = "    ".repeat(depth);
    let f = &saga.root.failure;
    let _ = writeln!(
        out,
        "{pad}SF->>DB: RecordFailed: {} {} + {}",
        saga.root.entity, f.status, f.event
    );
    let _ = writeln!(
        out,
        "{pad}SF-->>C: {} {} (rolled back)",
        saga.root.entity, f.status
    );
}

fn stages(saga: &Saga, index: usize, depth: usize, out: &mut String) {
    let pad = "    ".repeat(depth);
    let Some(stage) = saga.stages.get(index) else {
        let s = &saga.root.success;
        let _ = writeln!(
            out,
            "{pad}SF->>DB: RecordSucceeded: {} {} + {}",
            saga.root.entity, s.status, s.event
        );
        let _ = writeln!(out, "{pad}SF-->>C: {} {}", saga.root.entity, s.status);
        return;
    };
    match stage {
        Stage::Step(step) => {
            let p = participant(saga, &step.service);
            let _ = writeln!(out, "{pad}SF->>{p}: {}", step.name);
            let _ = writeln!(out, "{pad}alt {} succeeds", step.name);
            let _ = writeln!(
                out,
                "{pad}    {p}-->>SF: {}",
                step.writes.as_deref().unwrap_or("done")
            );
            stages(saga, index + 1, depth + 1, out);
            failures(saga, index, step, depth, out);
            let _ = writeln!(out, "{pad}end");
        }
        Stage::Parallel(group) => {
            for (i, step) in group.branches.iter().enumerate() {
                let p = participant(saga, &step.service);
                let _ = writeln!(
                    out,
                    "{pad}{} {}",
                    if i == 0 { "par" } else { "and" },
                    step.name
                );
                let _ = writeln!(out, "{pad}    SF->>{p}: {}", step.name);
                let _ = writeln!(
                    out,
                    "{pad}    {p}-->>SF: {} or an error",
                    step.writes.as_deref().unwrap_or("done")
                );
            }
            let _ = writeln!(out, "{pad}end");
            let _ = writeln!(out, "{pad}alt every branch of {} completed", group.name);
            stages(saga, index + 1, depth + 1, out);
            let _ = writeln!(out, "{pad}else a branch failed");
            let _ = writeln!(
                out,
                "{pad}    Note right of SF: compensate exactly the branches that completed, and those that failed ambiguously"
            );
            for step in group.branches.iter().rev() {
                if let Some(comp) = &step.compensation {
                    let p = participant(saga, &step.service);
                    let _ = writeln!(
                        out,
                        "{pad}    opt {} completed or failed ambiguously",
                        step.name
                    );
                    let _ = writeln!(out, "{pad}        SF->>{p}: {}", comp.name);
                    let _ = writeln!(out, "{pad}    end");
                }
            }
            undo(saga, index, depth + 1, out);
            rolled_back(saga, depth + 1, out);
            let _ = writeln!(out, "{pad}end");
        }
    }
}

fn failures(saga: &Saga, index: usize, step: &Step, depth: usize, out: &mut String) {
    let pad = "    ".repeat(depth);
    let p = participant(saga, &step.service);
    match step.kind {
        StepKind::Retriable => {
            let _ = writeln!(out, "{pad}else still failing after its retries");
            let _ = writeln!(
                out,
                "{pad}    Note right of SF: past the pivot the saga cannot roll back: a human must finish it"
            );
            let c = &saga.root.retries_exhausted;
            let _ = writeln!(
                out,
                "{pad}    SF->>DB: {}: {} {} + {}",
                asl::RECORD_RETRIES_EXHAUSTED,
                saga.root.entity,
                c.status,
                c.event
            );
            let _ = writeln!(out, "{pad}    SF-->>C: {} {}", saga.root.entity, c.status);
        }
        StepKind::Pivot => {
            if !step.errors.is_empty() {
                let _ = writeln!(out, "{pad}else {}", step.errors.join(", "));
                let _ = writeln!(
                    out,
                    "{pad}    {p}-->>SF: business error (no-go, also after a retry)"
                );
                undo(saga, index, depth + 1, out);
                rolled_back(saga, depth + 1, out);
            }
            let _ = writeln!(
                out,
                "{pad}else timeout, Lambda.Unknown or transient errors through every retry"
            );
            let _ = writeln!(
                out,
                "{pad}    Note right of SF: {} may have committed: it is retried until its outcome is definite, and nothing is compensated",
                step.name
            );
            let c = &saga.root.pivot_unknown;
            let _ = writeln!(
                out,
                "{pad}    SF->>DB: {}: {} {} + {}",
                asl::RECORD_PIVOT_UNKNOWN,
                saga.root.entity,
                c.status,
                c.event
            );
            let _ = writeln!(out, "{pad}    SF-->>C: {} {}", saga.root.entity, c.status);
        }
        StepKind::Compensatable => {
            if !step.errors.is_empty() {
                let _ = writeln!(out, "{pad}else {}", step.errors.join(", "));
                let _ = writeln!(out, "{pad}    {p}-->>SF: business error (not retried)");
                undo(saga, index, depth + 1, out);
                rolled_back(saga, depth + 1, out);
            }
            let _ = writeln!(
                out,
                "{pad}else timeout, Lambda.Unknown or retries exhausted"
            );
            if let Some(comp) = &step.compensation {
                let _ = writeln!(
                    out,
                    "{pad}    Note right of SF: {} may have taken effect: undo it too",
                    step.name
                );
                let _ = writeln!(out, "{pad}    SF->>{p}: {}", comp.name);
                let _ = writeln!(out, "{pad}    {p}-->>SF: undone");
            }
            undo(saga, index, depth + 1, out);
            rolled_back(saga, depth + 1, out);
        }
    }
}

/// `diagram.md`.
pub fn markdown(saga: &Saga) -> String {
    let path = asl::happy_path(&asl::machine(saga));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!-- Generated by sagac from the {} spec; do not edit. -->",
        saga.name
    );
    let _ = writeln!(out, "# {} saga\n", saga.name);
    if let Some(description) = &saga.description {
        let _ = writeln!(out, "{description}\n");
    }
    let _ = writeln!(out, "## State machine\n");
    let _ = writeln!(
        out,
        "`{}`, as Step Functions runs it. Dashed edges are `Catch` transitions. Happy path: {} state transitions ({}).\n",
        asl::DEFINITION_FILE,
        path.len(),
        path.join(" → ")
    );
    let _ = writeln!(out, "```mermaid\n{}```\n", flowchart(saga));
    let _ = writeln!(out, "## Saga flow\n");
    let _ = writeln!(
        out,
        "Business errors go straight to compensation; transient errors are retried first. An ambiguous failure (timeout, `Lambda.Unknown`, service errors after the retries) may have taken effect, so the failed step is compensated too. The pivot is the exception: its ambiguous failure is retried until the outcome is definite and never compensates; if it stays unknown, or a step after the pivot exhausts its retries, the saga ends in its own status for people to resolve.\n"
    );
    let _ = writeln!(out, "```mermaid\n{}```", sequence(saga));
    out
}

/// The diagrams file.
pub fn emit(saga: &Saga) -> Vec<OutputFile> {
    vec![OutputFile {
        path: DIAGRAM_FILE.into(),
        contents: markdown(saga),
    }]
}
