//! `datadog-dashboard.json`: the saga's Datadog dashboard (ordered layout,
//! importable through the Datadog API or the dashboard JSON editor).
//!
//! Groups, in order: the business outcomes (completed sagas and triggered
//! compensations, the spec's metrics, which the projector counts on the
//! root entity's terminal transitions) and the state machine's execution
//! outcomes; then per service the step latency and errors, from the
//! `aws.lambda.*` metrics of its function (`functionname` tag) and the
//! runtime's `saga.step.duration` distribution by step; then the stream
//! consumers. A `$env` template variable selects the environment.

use serde_json::{Value, json};

use super::OutputFile;
use super::cfn::params;
use crate::ir::Saga;

/// The dashboard file.
pub fn emit(saga: &Saga) -> Vec<OutputFile> {
    let mut contents = serde_json::to_string_pretty(&dashboard(saga)).unwrap_or_default();
    contents.push('\n');
    vec![OutputFile {
        path: "datadog-dashboard.json".into(),
        contents,
    }]
}

/// A function's `functionname` tag value with the environment taken from
/// the `$env` template variable (Datadog lower-cases tag values).
fn function_tag(saga: &Saga, part: &str) -> String {
    super::cfn::function_name(&saga.kebab, part)
        .replace(&format!("${{{}}}", params::ENVIRONMENT), "$env.value")
        .to_lowercase()
}

fn query(name: &str, query: String) -> Value {
    json!({ "data_source": "metrics", "name": name, "query": query })
}

fn timeseries(title: &str, series: Vec<(&str, String, &str)>, display: &str) -> Value {
    let queries: Vec<Value> = series.iter().map(|(n, q, _)| query(n, q.clone())).collect();
    let formulas: Vec<Value> = series
        .iter()
        .map(|(n, _, alias)| json!({ "formula": n, "alias": alias }))
        .collect();
    json!({
        "definition": {
            "type": "timeseries",
            "title": title,
            "show_legend": true,
            "legend_layout": "auto",
            "requests": [{
                "response_format": "timeseries",
                "queries": queries,
                "formulas": formulas,
                "display_type": display,
            }],
        }
    })
}

fn query_value(title: &str, q: String) -> Value {
    json!({
        "definition": {
            "type": "query_value",
            "title": title,
            "autoscale": true,
            "precision": 0,
            "requests": [{
                "response_format": "scalar",
                "queries": [{ "data_source": "metrics", "name": "q", "query": q, "aggregator": "sum" }],
                "formulas": [{ "formula": "q" }],
            }],
        }
    })
}

fn group(title: &str, widgets: Vec<Value>) -> Value {
    json!({ "definition": { "type": "group", "title": title, "layout_type": "ordered", "widgets": widgets } })
}

/// The dashboard as a JSON value.
pub fn dashboard(saga: &Saga) -> Value {
    let obs = &saga.observability;
    let saga_tag = format!("saga:{}", saga.kebab);
    let mut groups = Vec::new();

    let mut outcomes = Vec::new();
    if let Some(m) = &obs.completed_metric {
        outcomes.push(query_value(
            &format!("Completed ({})", saga.root.success.status),
            format!("count:{m}{{$env}}"),
        ));
    }
    if let Some(m) = &obs.compensation_metric {
        outcomes.push(query_value(
            &format!(
                "Compensations triggered ({}, {})",
                saga.root.failure.status, saga.root.compensation_failure.status
            ),
            format!("count:{m}{{$env}}"),
        ));
    }
    if let (Some(done), Some(comp)) = (&obs.completed_metric, &obs.compensation_metric) {
        outcomes.push(timeseries(
            "Completed vs compensated",
            vec![
                (
                    "completed",
                    format!("count:{done}{{$env}}.as_count()"),
                    "completed",
                ),
                (
                    "compensated",
                    format!("count:{comp}{{$env}}.as_count()"),
                    "compensations triggered",
                ),
            ],
            "bars",
        ));
    }
    outcomes.push(timeseries(
        "Execution outcomes",
        vec![
            (
                "succeeded",
                format!("sum:aws.states.executions_succeeded{{{saga_tag},$env}}.as_count()"),
                "succeeded",
            ),
            (
                "failed",
                format!("sum:aws.states.executions_failed{{{saga_tag},$env}}.as_count()"),
                "failed",
            ),
            (
                "timed_out",
                format!("sum:aws.states.executions_timed_out{{{saga_tag},$env}}.as_count()"),
                "timed out",
            ),
            (
                "aborted",
                format!("sum:aws.states.executions_aborted{{{saga_tag},$env}}.as_count()"),
                "aborted",
            ),
        ],
        "bars",
    ));
    outcomes.push(timeseries(
        "Execution time",
        vec![
            (
                "avg",
                format!("avg:aws.states.execution_time{{{saga_tag},$env}}"),
                "average (ms)",
            ),
            (
                "max",
                format!("max:aws.states.execution_time.maximum{{{saga_tag},$env}}"),
                "maximum (ms)",
            ),
        ],
        "line",
    ));
    groups.push(group(&format!("{} outcomes", saga.name), outcomes));

    for service in &saga.services {
        let f = function_tag(saga, &service.name);
        let steps: Vec<&str> = service.actions.iter().map(|a| a.state.as_str()).collect();
        groups.push(group(
            &format!("{} service ({})", service.name, steps.join(", ")),
            vec![
                timeseries(
                    "Step latency",
                    vec![
                        (
                            "p95",
                            format!(
                                "p95:saga.step.duration{{service:{},$env}} by {{step}}",
                                service.name
                            ),
                            "p95 by step (ms)",
                        ),
                        (
                            "avg",
                            format!("avg:aws.lambda.duration{{functionname:{f}}}"),
                            "Lambda average (ms)",
                        ),
                        (
                            "max",
                            format!("max:aws.lambda.duration.maximum{{functionname:{f}}}"),
                            "Lambda maximum (ms)",
                        ),
                    ],
                    "line",
                ),
                timeseries(
                    "Step errors",
                    vec![
                        (
                            "errors",
                            format!("sum:aws.lambda.errors{{functionname:{f}}}.as_count()"),
                            "errors",
                        ),
                        (
                            "throttles",
                            format!("sum:aws.lambda.throttles{{functionname:{f}}}.as_count()"),
                            "throttles",
                        ),
                        (
                            "invocations",
                            format!("sum:aws.lambda.invocations{{functionname:{f}}}.as_count()"),
                            "invocations",
                        ),
                    ],
                    "bars",
                ),
            ],
        ));
    }

    let mut consumers = vec![("outbox dispatcher", function_tag(saga, "outbox-dispatcher"))];
    for view in &saga.views {
        consumers.push((
            "projector",
            function_tag(saga, &super::cfn::projector_part(view)),
        ));
    }
    let mut stream = Vec::new();
    for (what, f) in &consumers {
        stream.push(timeseries(
            &format!("{what}: {f}"),
            vec![
                (
                    "age",
                    format!("max:aws.lambda.iterator_age.maximum{{functionname:{f}}}"),
                    "iterator age (ms)",
                ),
                (
                    "errors",
                    format!("sum:aws.lambda.errors{{functionname:{f}}}.as_count()"),
                    "errors",
                ),
            ],
            "line",
        ));
    }
    groups.push(group("Outbox and projections", stream));

    json!({
        "title": format!("{} saga", saga.name),
        "description": format!(
            "Generated by sagac from the {} spec; do not edit here, change the spec and rebuild.{}",
            saga.name,
            saga.description.as_ref().map(|d| format!(" {d}")).unwrap_or_default()
        ),
        "layout_type": "ordered",
        "reflow_type": "auto",
        "template_variables": [{ "name": "env", "prefix": "env", "available_values": [], "default": "*" }],
        "notify_list": [],
        "widgets": groups,
    })
}
