//! The execution as the Step Functions console shows it: one line per
//! history event (id, virtual time and time since the start, type, state,
//! a short detail with error and cause on failures), then the outcome. The
//! CLI's `sagac run` and every local runner print this.

use serde_json::Value;

use crate::{EventType, Execution, HistoryEvent};

/// The history the way the Step Functions console lists it: id, virtual
/// time (and time since the start), type, state, a short detail; then the
/// outcome.
#[must_use]
pub fn text(execution: &Execution) -> String {
    let states = state_column(&execution.events);
    let rows: Vec<[String; 5]> = execution
        .events
        .iter()
        .zip(&states)
        .map(|(event, state)| {
            [
                event.id.to_string(),
                format!(
                    "{}  +{}",
                    event.timestamp.to_rfc3339(),
                    elapsed(execution.start_date.seconds_until(event.timestamp))
                ),
                event.kind.as_str().to_owned(),
                state.clone(),
                detail(event),
            ]
        })
        .collect();
    let header = ["#", "time", "type", "state", "detail"].map(str::to_owned);
    let mut out = format!(
        "execution {} of {}\n\n",
        execution.name, execution.state_machine_arn
    );
    let table: Vec<Vec<String>> = std::iter::once(&header)
        .chain(&rows)
        .map(|row| row.to_vec())
        .collect();
    out.push_str(&columns(&table, &[true]));
    out.push('\n');
    out.push_str(&format!(
        "status: {} after {} (virtual)\n",
        execution.status.as_str(),
        elapsed(execution.start_date.seconds_until(execution.stop_date))
    ));
    if let Some(output) = &execution.output {
        out.push_str(&format!("output: {output}\n"));
    }
    if let Some(error) = &execution.error {
        out.push_str(&format!("error: {error}\n"));
    }
    if let Some(cause) = &execution.cause {
        out.push_str(&format!("cause: {cause}\n"));
    }
    out
}

/// Rows as aligned text columns, two spaces apart: every column but the
/// last padded to its widest cell (right-aligned where `right[i]` says so),
/// trailing spaces trimmed, one line per row.
#[must_use]
pub fn columns(rows: &[Vec<String>], right: &[bool]) -> String {
    let count = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; count];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = widths[i].saturating_sub(cell.chars().count());
            let last = i + 1 == row.len();
            if right.get(i).copied().unwrap_or(false) {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                if !last {
                    line.push_str(&" ".repeat(pad));
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn elapsed(seconds: f64) -> String {
    let millis = (seconds * 1000.0).round() as i64;
    let (h, rest) = (millis / 3_600_000, millis % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let s = rest as f64 / 1000.0;
    match (h, m) {
        (0, 0) => format!("{s:.3}s"),
        (0, m) => format!("{m}m{s:06.3}s"),
        (h, m) => format!("{h}h{m:02}m{s:06.3}s"),
    }
}

/// The state each event belongs to: the named state for enter/exit events,
/// the state whose entry an event follows from for the rest (the innermost
/// open Parallel or Map for their own events).
fn state_column(events: &[HistoryEvent]) -> Vec<String> {
    let mut open: Vec<String> = Vec::new();
    let mut column = Vec::with_capacity(events.len());
    for event in events {
        use EventType as E;
        let name = match event.kind {
            E::ParallelStateEntered | E::MapStateEntered => {
                let name = event.state_name().unwrap_or_default().to_owned();
                open.push(name.clone());
                name
            }
            E::ParallelStateExited | E::MapStateExited => {
                open.pop();
                event.state_name().unwrap_or_default().to_owned()
            }
            E::ParallelStateStarted
            | E::ParallelStateSucceeded
            | E::ParallelStateFailed
            | E::MapStateStarted
            | E::MapStateSucceeded
            | E::MapStateFailed
            | E::MapIterationStarted
            | E::MapIterationSucceeded
            | E::MapIterationFailed => open.last().cloned().unwrap_or_default(),
            E::ExecutionStarted
            | E::ExecutionSucceeded
            | E::ExecutionFailed
            | E::ExecutionTimedOut => String::new(),
            _ => match event.state_name() {
                Some(name) => name.to_owned(),
                None => entered_before(events, event).unwrap_or_default(),
            },
        };
        column.push(name);
    }
    column
}

fn entered_before(events: &[HistoryEvent], event: &HistoryEvent) -> Option<String> {
    let mut id = event.previous_event_id;
    while id > 0 {
        let e = events.get(id as usize - 1)?;
        if e.is_state_entered() {
            return e.state_name().map(str::to_owned);
        }
        id = e.previous_event_id;
    }
    None
}

fn short(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

fn detail(event: &HistoryEvent) -> String {
    use EventType as E;
    let d = |key: &str| {
        event
            .details
            .as_ref()
            .and_then(|v| v.get(key))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let s = |key: &str| d(key).as_str().map(str::to_owned).unwrap_or_default();
    let failure = || match event.cause() {
        Some(cause) if !cause.is_empty() => {
            format!("{}: {}", event.error().unwrap_or(""), short(cause))
        }
        _ => event.error().unwrap_or("").to_owned(),
    };
    match event.kind {
        E::ExecutionStarted => format!("input {}", short(&s("input"))),
        E::ExecutionSucceeded => format!("output {}", short(&s("output"))),
        E::ExecutionFailed
        | E::ExecutionTimedOut
        | E::TaskFailed
        | E::TaskTimedOut
        | E::LambdaFunctionFailed
        | E::LambdaFunctionTimedOut => failure(),
        E::TaskScheduled => {
            let timeout = match d("timeoutInSeconds") {
                Value::Null => String::new(),
                t => format!(" (timeout {t}s)"),
            };
            format!("{}:{}{timeout}", s("resourceType"), s("resource"))
        }
        E::LambdaFunctionScheduled => s("resource"),
        E::TaskSucceeded | E::LambdaFunctionSucceeded => format!("output {}", short(&s("output"))),
        E::MapStateStarted => format!("{} items", d("length")),
        E::MapIterationStarted | E::MapIterationSucceeded | E::MapIterationFailed => {
            format!("item {}", d("index"))
        }
        _ if event.kind.details_key() == Some("stateExitedEventDetails") => {
            format!("output {}", short(&s("output")))
        }
        _ => String::new(),
    }
}
