//! Per service: the function, its version, its alias and the CodeDeploy
//! canary that moves the alias (what SAM's `DeploymentPreference` expands
//! to, written out).
//!
//! The alias carries `UpdatePolicy.CodeDeployLambdaAliasUpdate`: when a
//! stack update points it at a new version, CloudFormation hands the change
//! to CodeDeploy, which shifts traffic by the spec's canary or linear
//! configuration while watching the alarms, and rolls back on an alarm, a
//! failed hook or a stop request. See the module docs of `cfn` for why a
//! new artifact (and only a new artifact or configuration) publishes a new
//! version.

use serde_json::{Value, json};

use super::functions::{self, Code, Function};
use super::model::{Resource, allow, assume_role, att, digest, r, role, sub};
use super::storage::{TABLE, index_arn, table_arn};
use super::{Stack, params};
use crate::ir::{Service, Traffic};
use crate::naming;

/// Logical id of the CodeDeploy application.
pub const APPLICATION: &str = "CodeDeployApplication";
/// Logical id of the CodeDeploy service role.
pub const SERVICE_ROLE: &str = "CodeDeployServiceRole";
/// Logical id of the custom deployment configuration (when no predefined
/// one matches the spec's traffic shifting).
pub const CUSTOM_CONFIG: &str = "TrafficShiftingConfig";

/// Logical id of a service's function.
pub fn function_id(service: &Service) -> String {
    format!("{}Function", service.pascal)
}

/// Logical id of a service's alias.
pub fn alias_id(service: &Service) -> String {
    format!("{}Alias", service.pascal)
}

/// The physical name of a function: `<prefix><saga>-<part>-${EnvironmentName}`
/// (an `Fn::Sub` body), never shortened: the validator has checked that it
/// fits Lambda's 64 characters with the longest environment name
/// ([`naming`](crate::naming)).
pub fn function_name(kebab: &str, part: &str, prefix: &str) -> String {
    naming::with_environment(&naming::function_stem(prefix, kebab, part))
}

pub(super) fn build(stack: &mut Stack<'_>) {
    application(stack);
    for service in &stack.saga.services {
        service_function(stack, service);
    }
}

fn application(stack: &mut Stack<'_>) {
    let saga = stack.saga;
    stack.template.add(
        APPLICATION,
        Resource::new(
            "AWS::CodeDeploy::Application",
            json!({ "ComputePlatform": "Lambda", "Tags": stack.tags("deployment") }),
        ),
    );
    stack.template.add(
        SERVICE_ROLE,
        role(
            assume_role("codedeploy.amazonaws.com"),
            "none",
            Vec::new(),
            // Shifts aliases, reads the alarms, and may invoke only hook
            // functions named `CodeDeployHook_*`.
            &[sub(
                "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda",
            )],
            stack.tags("deployment"),
        ),
    );
    let traffic = saga.deployment.traffic;
    if traffic.predefined_config().is_none() {
        let routing = match traffic {
            Traffic::Canary { percent, minutes } => json!({
                "Type": "TimeBasedCanary",
                "TimeBasedCanary": { "CanaryPercentage": percent, "CanaryInterval": minutes },
            }),
            Traffic::Linear { percent, minutes } => json!({
                "Type": "TimeBasedLinear",
                "TimeBasedLinear": { "LinearPercentage": percent, "LinearInterval": minutes },
            }),
            Traffic::AllAtOnce => json!({ "Type": "AllAtOnce" }),
        };
        stack.template.add(
            CUSTOM_CONFIG,
            Resource::new(
                "AWS::CodeDeploy::DeploymentConfig",
                json!({ "ComputePlatform": "Lambda", "TrafficRoutingConfig": routing }),
            )
            .metadata(
                "sagac",
                json!({ "about": "No predefined CodeDeployDefault.Lambda* configuration matches the spec's traffic shifting, so it is defined here." }),
            ),
        );
    }
}

/// The indexes of the single table a service's entities are keyed in.
fn service_indexes<'s>(stack: &Stack<'s>, service: &Service) -> Vec<&'s str> {
    let saga = stack.saga;
    let mut out: Vec<&str> = Vec::new();
    for action in &service.actions {
        let Some(entity) = action.result.as_deref().and_then(|e| saga.entity(e)) else {
            continue;
        };
        for keys in &entity.indexes {
            if let Some(index) = saga.table.indexes.iter().find(|i| i.name == keys.index)
                && !out.contains(&index.name.as_str())
            {
                out.push(&index.name);
            }
        }
    }
    out
}

fn service_function(stack: &mut Stack<'_>, service: &Service) {
    let saga = stack.saga;
    let id = function_id(service);
    let key = params::service_code(&service.pascal);
    let mut environment: Vec<(String, Value)> = service
        .environment
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    let reserved = vec![
        ("SAGA_NAME".to_owned(), Value::from(saga.name.as_str())),
        ("TABLE_NAME".to_owned(), r(TABLE)),
    ];
    // The table layout (key attributes, outbox sort key, TTL) is compiled
    // into the service's generated code, so it is not passed here.
    environment.retain(|(k, _)| !reserved.iter().any(|(r, _)| r == k));
    environment.extend(reserved);

    let mut statements = vec![allow(
        "ReadWriteSagaTable",
        &[
            "dynamodb:GetItem",
            "dynamodb:Query",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:ConditionCheckItem",
        ],
        vec![table_arn(TABLE)],
    )];
    let indexes = service_indexes(stack, service);
    if !indexes.is_empty() {
        statements.push(allow(
            "QueryOwnIndexes",
            &["dynamodb:Query"],
            indexes.iter().map(|i| index_arn(TABLE, i)).collect(),
        ));
    }
    statements.push(allow(
        "EncryptTableItems",
        &["kms:Encrypt", "kms:GenerateDataKey"],
        vec![stack.key_arn()],
    ));

    let actions: Vec<&str> = service.actions.iter().map(|a| a.state.as_str()).collect();
    let function = Function {
        id: id.clone(),
        stem: naming::function_stem("", &saga.kebab, &service.name),
        description: service
            .description
            .clone()
            .unwrap_or_else(|| format!("The {} service of the {} saga.", service.name, saga.name)),
        code: Code::Artifact(key.clone()),
        service: service.name.clone(),
        memory_mb: service.memory_mb,
        timeout_seconds: service.timeout_seconds,
        reserved_concurrency: service.reserved_concurrency,
        environment,
        layers: service.layers.clone(),
        statements,
        skips: vec![(
            "CKV_AWS_116",
            "Step Functions invokes this function synchronously (lambda:invoke on its alias) and handles failures with the spec's Retry/Catch; a dead-letter queue only receives failed asynchronous invocations, which never happen here.".into(),
        )],
        about: Some(format!(
            "Serves the states {} of the state machine through the `{}` alias.",
            actions.join(", "),
            saga.deployment.alias
        )),
    };
    let props = functions::add(stack, function);

    // Version: the logical id hashes the configuration; the description
    // names the content-addressed artifact.
    let hash = digest(&props, 10);
    let version_id = format!("{}Version{hash}", service.pascal);
    stack.template.add(
        &version_id,
        Resource::new(
            "AWS::Lambda::Version",
            json!({
                "FunctionName": r(&id),
                "Description": sub(format!("sagac: code s3://${{{}}}/${{{key}}}, configuration {hash}", params::ARTIFACT_BUCKET)),
            }),
        )
        .retain()
        .metadata(
            "sagac",
            json!({ "about": "A new code key (content-addressed) changes the description and a configuration change changes this logical id: either publishes a new version, which the alias update hands to CodeDeploy. Old versions are retained for in-flight executions and rollback." }),
        ),
    );

    // Alarms watched during the deployment.
    let mut alarm_ids = Vec::new();
    for alarm in &saga.deployment.alarms {
        let alarm_id = format!("{}{}Alarm", service.pascal, alarm.metric);
        stack.template.add(
            &alarm_id,
            Resource::new(
                "AWS::CloudWatch::Alarm",
                json!({
                    "AlarmDescription": format!(
                        "{} of the {} function's `{}` alias (stops and rolls back a deployment).",
                        alarm.metric, service.name, saga.deployment.alias
                    ),
                    "Namespace": "AWS/Lambda",
                    "MetricName": alarm.metric,
                    "Dimensions": [
                        { "Name": "FunctionName", "Value": r(&id) },
                        { "Name": "Resource", "Value": sub(format!("${{{id}}}:{}", saga.deployment.alias)) },
                    ],
                    "Statistic": alarm.statistic,
                    "Period": alarm.period_seconds,
                    "EvaluationPeriods": alarm.evaluation_periods,
                    "Threshold": alarm.threshold,
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                    "TreatMissingData": "notBreaching",
                    "AlarmActions": stack.alarm_actions(),
                }),
            ),
        );
        alarm_ids.push(alarm_id);
    }

    // Deployment group.
    let group_id = format!("{}DeploymentGroup", service.pascal);
    let config = match saga.deployment.traffic.predefined_config() {
        Some(name) => Value::from(name),
        None => r(CUSTOM_CONFIG),
    };
    let mut events = vec!["DEPLOYMENT_FAILURE"];
    let mut group = serde_json::Map::new();
    group.insert("ApplicationName".into(), r(APPLICATION));
    group.insert("ServiceRoleArn".into(), att(SERVICE_ROLE, "Arn"));
    group.insert("DeploymentConfigName".into(), config);
    group.insert(
        "DeploymentStyle".into(),
        json!({ "DeploymentType": "BLUE_GREEN", "DeploymentOption": "WITH_TRAFFIC_CONTROL" }),
    );
    if !alarm_ids.is_empty() {
        events.push("DEPLOYMENT_STOP_ON_ALARM");
        group.insert(
            "AlarmConfiguration".into(),
            json!({
                "Enabled": true,
                "IgnorePollAlarmFailure": false,
                "Alarms": alarm_ids.iter().map(|a| json!({ "Name": r(a) })).collect::<Vec<_>>(),
            }),
        );
    }
    events.push("DEPLOYMENT_STOP_ON_REQUEST");
    group.insert(
        "AutoRollbackConfiguration".into(),
        json!({ "Enabled": true, "Events": events }),
    );
    stack.template.add(
        &group_id,
        Resource::new(
            "AWS::CodeDeploy::DeploymentGroup",
            serde_json::Value::Object(group),
        ),
    );

    // Traffic hooks.
    let mut update = serde_json::Map::new();
    update.insert("ApplicationName".into(), r(APPLICATION));
    update.insert("DeploymentGroupName".into(), r(&group_id));
    for (enabled, when, key) in [
        (
            saga.deployment.before_traffic_hook,
            "before",
            "BeforeAllowTrafficHook",
        ),
        (
            saga.deployment.after_traffic_hook,
            "after",
            "AfterAllowTrafficHook",
        ),
    ] {
        if enabled {
            let hook_id = hook(stack, service, when, &version_id, &group_id);
            update.insert(key.into(), r(&hook_id));
        }
    }

    // Alias.
    stack.template.add(
        alias_id(service),
        Resource::new(
            "AWS::Lambda::Alias",
            json!({
                "Name": saga.deployment.alias,
                "Description": "The version the state machine invokes; moved by CodeDeploy.",
                "FunctionName": r(&id),
                "FunctionVersion": att(&version_id, "Version"),
            }),
        )
        .update_policy(json!({ "CodeDeployLambdaAliasUpdate": update })),
    );
}

/// The traffic hook: probes the new version before (or after) traffic moves.
fn hook(
    stack: &mut Stack<'_>,
    service: &Service,
    when: &str,
    version_id: &str,
    group_id: &str,
) -> String {
    let saga = stack.saga;
    let title = if when == "before" { "Before" } else { "After" };
    let id = format!("{}{title}TrafficHook", service.pascal);
    let source = HOOK_SOURCE
        .replace("{service}", &service.name)
        .replace("{when}", when);
    let function = Function {
        id: id.clone(),
        // AWSCodeDeployRoleForLambda may invoke only `CodeDeployHook_*`.
        stem: naming::hook_stem(&saga.kebab, &service.name, when),
        description: match naming::hook_shortened(&saga.kebab, &service.name, when) {
            None => format!(
                "CodeDeploy {when}-traffic hook: probes the new {} version and reports the result.",
                service.name
            ),
            // Within Lambda's 256 characters: the full stem is at most 69.
            Some(full) => format!(
                "CodeDeploy {when}-traffic hook: probes the new {} version. Name shortened from \
                 {full}-<environment> (sagac explain S077).",
                service.name
            ),
        },
        code: Code::InlinePython(source),
        service: service.name.clone(),
        memory_mb: 128,
        timeout_seconds: (service.timeout_seconds + 30).max(60),
        reserved_concurrency: Some(1),
        environment: vec![("TARGET_VERSION_ARN".into(), r(version_id))],
        layers: Vec::new(),
        statements: vec![
            allow("ProbeNewVersion", &["lambda:InvokeFunction"], vec![r(version_id)]),
            allow(
                "ReportHookStatus",
                &["codedeploy:PutLifecycleEventHookExecutionStatus"],
                vec![sub(format!(
                    "arn:${{AWS::Partition}}:codedeploy:${{AWS::Region}}:${{AWS::AccountId}}:deploymentgroup:${{{APPLICATION}}}/${{{group_id}}}"
                ))],
            ),
        ],
        skips: vec![(
            "CKV_AWS_116",
            "CodeDeploy invokes the hook asynchronously and waits for its status call; an event that is never handled times the lifecycle event out, which fails and rolls back the deployment. A dead-letter queue would keep an event nobody can act on once the deployment has ended.".into(),
        )],
        about: Some("Inline on purpose: it must exist before the artifact it checks, and it has no dependency beyond boto3.".into()),
    };
    functions::add(stack, function);
    id
}

/// The hook's Python source. It invokes the new version with an empty
/// payload: a typed rejection (the runtime answers `Saga.InvalidPayload`)
/// proves the binary starts, reads its configuration and serves; an init
/// or runtime failure (`Runtime.*`, `Sandbox.*`) fails the hook and
/// CodeDeploy rolls back.
const HOOK_SOURCE: &str = r#""""CodeDeploy {when}-traffic hook of the {service} function (generated by sagac).

Invokes the version being deployed with an empty payload. A typed rejection
(Saga.InvalidPayload) proves the binary starts, reads its configuration and
answers; an init or runtime failure (Runtime.*, Sandbox.*) fails the hook and
CodeDeploy rolls the deployment back.
"""
import json
import os

import boto3

LAMBDA = boto3.client("lambda")
CODEDEPLOY = boto3.client("codedeploy")


def probe(target):
    response = LAMBDA.invoke(FunctionName=target, Payload=b"{}")
    if response.get("StatusCode") != 200:
        return "invoke returned status %s" % response.get("StatusCode")
    if not response.get("FunctionError"):
        return None
    body = json.loads(response["Payload"].read() or b"{}")
    kind = str(body.get("errorType", ""))
    if not kind or kind.startswith(("Runtime.", "Sandbox.")):
        return "the new version cannot serve: %s %s" % (kind, body.get("errorMessage", ""))
    return None


def handler(event, context):
    target = os.environ["TARGET_VERSION_ARN"]
    try:
        problem = probe(target)
    except Exception as error:  # a probe that cannot run fails the deployment
        problem = "probe failed: %r" % (error,)
    status = "Failed" if problem else "Succeeded"
    print(json.dumps({"hook": "{when}-traffic", "target": target, "status": status, "problem": problem}))
    CODEDEPLOY.put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status=status,
    )
    return status
"#;
