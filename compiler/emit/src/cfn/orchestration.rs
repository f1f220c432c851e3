//! The state machine: the ASL definition with its substitutions, its role
//! (invoke only the aliases it calls, write only the root status and the
//! terminal outbox events), logging level ALL with execution data to
//! `/aws/vendedlogs/states/...`, tracing, Datadog tags, and alarms on
//! failed, timed-out and aborted executions.

use serde_json::{Map, Value, json};

use super::deploy::alias_id;
use super::model::{Resource, allow, assume_role_from_account, att, r, role};
use super::storage::{TABLE, table_arn};
use super::{Stack, params};
use crate::asl::{self, Substitution};
use crate::naming::Resource as Aws;

/// Logical id of the state machine.
pub const STATE_MACHINE: &str = "StateMachine";
/// Logical id of its role.
pub const ROLE: &str = "StateMachineRole";
/// Logical id of its log group.
pub const LOG_GROUP: &str = "StateMachineLogGroup";

/// The value a definition placeholder resolves to.
fn substitution_value(stack: &Stack<'_>, substitution: &Substitution) -> Value {
    match substitution {
        Substitution::FunctionAlias(name) => match stack.saga.service(name) {
            Some(service) => r(&alias_id(service)),
            // The ASL names only services of the IR; keep the template
            // valid (and the mismatch visible) if it ever does not.
            None => Value::from(format!("unknown-service-{name}")),
        },
        Substitution::TableName => r(TABLE),
    }
}

pub(super) fn build(stack: &mut Stack<'_>) {
    let saga = stack.saga;
    let stem = crate::naming::state_machine_stem(saga);

    let log_group_name = stack.named(Aws::LogGroup, format!("/aws/vendedlogs/states/{stem}"));
    stack.template.add(
        LOG_GROUP,
        Resource::new(
            "AWS::Logs::LogGroup",
            json!({
                "LogGroupName": log_group_name,
                "RetentionInDays": saga.observability.log_retention_days,
                "KmsKeyId": stack.key_arn(),
                "Tags": stack.tags("orchestrator"),
            }),
        ),
    );

    let substitutions = asl::substitutions(saga);
    let mut aliases: Vec<Value> = Vec::new();
    let mut uses_table = false;
    let mut definition_substitutions = Map::new();
    for (placeholder, substitution) in &substitutions {
        let value = substitution_value(stack, substitution);
        match substitution {
            Substitution::FunctionAlias(_) => {
                if !aliases.contains(&value) {
                    aliases.push(value.clone());
                }
            }
            Substitution::TableName => uses_table = true,
        }
        definition_substitutions.insert(placeholder.clone(), value);
    }

    let mut statements = Vec::new();
    if !aliases.is_empty() {
        statements.push(allow(
            "InvokeServiceAliases",
            &["lambda:InvokeFunction"],
            aliases,
        ));
    }
    if uses_table {
        statements.push(allow(
            // The root status and terminal outbox events, written in one
            // TransactWriteItems (Put / Update / ConditionCheck items).
            "WriteRootStatusAndOutbox",
            &[
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:ConditionCheckItem",
            ],
            vec![table_arn(TABLE)],
        ));
        statements.push(allow(
            "UseTableKey",
            &["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            vec![stack.key_arn()],
        ));
    }
    statements.push(allow(
        // Vended log delivery accepts no narrower resource than "*".
        "DeliverExecutionLogs",
        &[
            "logs:CreateLogDelivery",
            "logs:GetLogDelivery",
            "logs:UpdateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:DescribeResourcePolicies",
            "logs:DescribeLogGroups",
        ],
        vec![Value::from("*")],
    ));
    if saga.observability.tracing {
        statements.push(allow(
            "WriteTraces",
            &[
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
            ],
            vec![Value::from("*")],
        ));
    }
    stack.template.add(
        ROLE,
        role(
            assume_role_from_account("states.amazonaws.com"),
            "least-privilege",
            statements,
            &[],
            stack.tags("orchestrator"),
        ),
    );

    let mut props = Map::new();
    props.insert(
        "StateMachineName".into(),
        stack.named(Aws::StateMachine, stem),
    );
    props.insert(
        "StateMachineType".into(),
        Value::from(saga.workflow.as_aws()),
    );
    props.insert("RoleArn".into(), att(ROLE, "Arn"));
    props.insert("Definition".into(), asl::definition(saga));
    if !definition_substitutions.is_empty() {
        props.insert(
            "DefinitionSubstitutions".into(),
            Value::Object(definition_substitutions),
        );
    }
    props.insert(
        "LoggingConfiguration".into(),
        json!({
            "Level": "ALL",
            "IncludeExecutionData": true,
            "Destinations": [{ "CloudWatchLogsLogGroup": { "LogGroupArn": att(LOG_GROUP, "Arn") } }],
        }),
    );
    props.insert(
        "TracingConfiguration".into(),
        json!({ "Enabled": saga.observability.tracing }),
    );
    props.insert(
        "Tags".into(),
        json!([
            { "Key": "DD_TRACE_ENABLED", "Value": saga.observability.tracing.to_string() },
            { "Key": "env", "Value": r(params::ENVIRONMENT) },
            { "Key": "service", "Value": saga.kebab },
            { "Key": "saga", "Value": saga.kebab },
        ]),
    );
    stack.template.add(
        STATE_MACHINE,
        parallel_lint_gap(
            saga,
            Resource::new("AWS::StepFunctions::StateMachine", Value::Object(props)).metadata(
                "sagac",
                json!({ "about": "Definition is statemachine.asl.json; its ${...} placeholders resolve through DefinitionSubstitutions to the services' aliases (never $LATEST) and the table name." }),
            ),
        ),
    );

    for (metric, what) in [
        ("ExecutionsFailed", "failed"),
        ("ExecutionsTimedOut", "timed out"),
        ("ExecutionsAborted", "was aborted"),
    ] {
        stack.template.add(
            format!("StateMachine{metric}Alarm"),
            Resource::new(
                "AWS::CloudWatch::Alarm",
                json!({
                    "AlarmDescription": format!("An execution of the {} saga {what}.", saga.name),
                    "Namespace": "AWS/States",
                    "MetricName": metric,
                    "Dimensions": [{ "Name": "StateMachineArn", "Value": r(STATE_MACHINE) }],
                    "Statistic": "Sum",
                    "Period": 60,
                    "EvaluationPeriods": 1,
                    "Threshold": 1,
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                    "TreatMissingData": "notBreaching",
                    "AlarmActions": stack.alarm_actions(),
                }),
            ),
        );
    }
}

/// cfn-lint's embedded state machine schema (1.58) has no `Parameters` on
/// `Parallel` states, although the States Language defines it for JSONPath
/// Parallel states and Step Functions and asl-validator accept it. The
/// definition needs it so every branch starts with `results` and `failures`
/// (see `emit::asl`), so E3601 is ignored on this resource only, and only when
/// the saga has a parallel group.
fn parallel_lint_gap(saga: &crate::ir::Saga, resource: Resource) -> Resource {
    if saga
        .stages
        .iter()
        .any(|s| matches!(s, crate::ir::Stage::Parallel(_)))
    {
        resource.lint_ignore(
            "E3601",
            "Parallel states accept Parameters in the States Language (JSONPath); cfn-lint's state machine schema omits it. The definition is checked by asl-validator and executed in moto's interpreter instead.",
        )
    } else {
        resource
    }
}
