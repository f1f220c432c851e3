//! Properties every generated stack must have, checked on every valid spec
//! (the reference and `spec/examples/`) and on variations of the reference
//! spec: what DESIGN.md section 5 requires, stated as assertions over the
//! template's JSON, so a regression names the rule it breaks.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use sagac_core::emit::{asl, cfn, pipeline};
use sagac_core::ir::Saga;

fn specs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec");
    let mut out = Vec::new();
    for dir in [root.clone(), root.join("examples")] {
        let mut found: Vec<PathBuf> = fs::read_dir(&dir)
            .expect("spec dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".saga.yaml"))
            .collect();
        found.sort();
        out.extend(found);
    }
    assert!(!out.is_empty());
    out
}

fn compile_text(name: &str, text: &str) -> Saga {
    match sagac_core::compile_bytes(name, text.as_bytes()) {
        Ok(saga) => saga,
        Err((file, d)) => panic!("{name}:\n{}", sagac_core::diagnostic::render(&file, &d)),
    }
}

fn sagas() -> Vec<(String, Saga)> {
    specs()
        .into_iter()
        .map(|p| {
            let name = p.display().to_string();
            let text = fs::read_to_string(&p).expect("read spec");
            let saga = compile_text(&name, &text);
            (name, saga)
        })
        .collect()
}

fn resources(template: &Value) -> Vec<(&String, &Value)> {
    template["Resources"]
        .as_object()
        .expect("Resources")
        .iter()
        .collect()
}

fn of_type<'a>(template: &'a Value, ty: &str) -> Vec<(&'a String, &'a Value)> {
    resources(template)
        .into_iter()
        .filter(|(_, r)| r["Type"] == ty)
        .collect()
}

fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// Actions that accept no narrower resource than `*`.
const STAR_ALLOWED: &[&str] = &[
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "dynamodb:ListStreams",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "kms:CreateKey",
    "kms:TagResource",
];

fn check_policies(name: &str, template: &Value) {
    for (id, role) in of_type(template, "AWS::IAM::Role") {
        for policy in as_list(&role["Properties"]["Policies"]) {
            for statement in as_list(&policy["PolicyDocument"]["Statement"]) {
                let actions: Vec<&str> = as_list(&statement["Action"])
                    .iter()
                    .filter_map(|a| a.as_str())
                    .collect();
                for action in &actions {
                    assert_ne!(*action, "*", "{name}: {id} allows every action");
                }
                if as_list(&statement["Resource"])
                    .iter()
                    .any(|r| r.as_str() == Some("*"))
                {
                    for action in &actions {
                        assert!(
                            STAR_ALLOWED.contains(action),
                            "{name}: {id} grants {action} on \"*\""
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn every_stack_meets_the_standard() {
    for (name, saga) in sagas() {
        let t = cfn::template(&saga);

        // Tables: on demand, PITR, KMS, retained, protected.
        let tables = of_type(&t, "AWS::DynamoDB::Table");
        assert_eq!(tables.len(), 1 + saga.views.len(), "{name}: tables");
        for (id, table) in &tables {
            let p = &table["Properties"];
            assert_eq!(p["BillingMode"], "PAY_PER_REQUEST", "{name}: {id}");
            assert_eq!(
                p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true,
                "{name}: {id}"
            );
            assert_eq!(p["SSESpecification"]["SSEType"], "KMS", "{name}: {id}");
            assert!(
                p["SSESpecification"]["KMSMasterKeyId"].is_object(),
                "{name}: {id}"
            );
            assert_eq!(p["DeletionProtectionEnabled"], true, "{name}: {id}");
            assert_eq!(table["DeletionPolicy"], "Retain", "{name}: {id}");
            assert_eq!(table["UpdateReplacePolicy"], "Retain", "{name}: {id}");
        }
        let single = &t["Resources"]["SagaTable"]["Properties"];
        assert_eq!(
            single["StreamSpecification"]["StreamViewType"],
            saga.table.stream.as_aws()
        );
        assert_eq!(
            single["GlobalSecondaryIndexes"]
                .as_array()
                .map_or(0, Vec::len),
            saga.table.indexes.len()
        );
        if let Some(ttl) = &saga.table.ttl {
            assert_eq!(
                single["TimeToLiveSpecification"]["AttributeName"],
                ttl.as_str()
            );
        }

        // Functions: the Lambda standard.
        for (id, f) in of_type(&t, "AWS::Lambda::Function") {
            let p = &f["Properties"];
            assert_eq!(
                p["Architectures"][0],
                saga.deployment.architecture.as_aws(),
                "{name}: {id}"
            );
            assert!(
                p["Timeout"].is_u64() && p["MemorySize"].is_u64(),
                "{name}: {id}"
            );
            assert!(
                p["LoggingConfig"]["LogGroup"].is_object(),
                "{name}: {id}: own log group"
            );
            let hook = id.ends_with("TrafficHook");
            if hook {
                assert!(
                    p["FunctionName"]["Fn::Sub"]
                        .as_str()
                        .unwrap()
                        .starts_with("CodeDeployHook_"),
                    "{name}: {id}"
                );
            } else {
                assert_eq!(p["Runtime"], "provided.al2023", "{name}: {id}");
                assert_eq!(p["Handler"], "bootstrap", "{name}: {id}");
                assert!(
                    p["Code"]["S3Key"]["Ref"].is_string(),
                    "{name}: {id}: code from a parameter"
                );
                if saga.observability.datadog.is_some() {
                    let env = &p["Environment"]["Variables"];
                    for var in [
                        "DD_SITE",
                        "DD_API_KEY_SECRET_ARN",
                        "DD_ENV",
                        "DD_SERVICE",
                        "DD_VERSION",
                        "DD_SERVERLESS_LOGS_ENABLED",
                        "DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_HTTP_ENDPOINT",
                        "DD_TRACE_ENABLED",
                    ] {
                        assert!(!env[var].is_null(), "{name}: {id} lacks {var}");
                    }
                    let layers = serde_json::to_string(&p["Layers"]).unwrap();
                    assert!(
                        layers.contains(":464622532012:layer:Datadog-Extension"),
                        "{name}: {id}"
                    );
                }
            }
        }
        check_policies(&name, &t);

        // Canary per service.
        assert_eq!(of_type(&t, "AWS::CodeDeploy::Application").len(), 1);
        for service in &saga.services {
            let alias = &t["Resources"][format!("{}Alias", service.pascal)];
            let update = &alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"];
            assert!(
                update["DeploymentGroupName"].is_object(),
                "{name}: {} alias",
                service.name
            );
            assert_eq!(
                update["BeforeAllowTrafficHook"].is_object(),
                saga.deployment.before_traffic_hook
            );
            assert_eq!(
                update["AfterAllowTrafficHook"].is_object(),
                saga.deployment.after_traffic_hook
            );
            let group = &t["Resources"][format!("{}DeploymentGroup", service.pascal)]["Properties"];
            match saga.deployment.traffic.predefined_config() {
                Some(config) => assert_eq!(group["DeploymentConfigName"], config),
                None => assert_eq!(group["DeploymentConfigName"]["Ref"], cfn_custom_config()),
            }
            assert!(
                group["AlarmConfiguration"]["Alarms"]
                    .as_array()
                    .map_or(0, Vec::len)
                    <= 10
            );
            assert_eq!(
                group["DeploymentStyle"]["DeploymentOption"],
                "WITH_TRAFFIC_CONTROL"
            );
        }

        // The state machine: substitutions match the definition's placeholders.
        let machine = &t["Resources"]["StateMachine"]["Properties"];
        let subs = machine["DefinitionSubstitutions"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let expected: Vec<String> = asl::substitutions(&saga)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        let mut got: Vec<String> = subs.keys().cloned().collect();
        let mut want = expected.clone();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{name}: DefinitionSubstitutions");
        assert_eq!(machine["LoggingConfiguration"]["Level"], "ALL");
        assert_eq!(
            machine["LoggingConfiguration"]["IncludeExecutionData"],
            true
        );
        let log_group =
            &t["Resources"]["StateMachineLogGroup"]["Properties"]["LogGroupName"]["Fn::Sub"];
        assert!(
            log_group
                .as_str()
                .unwrap()
                .starts_with("/aws/vendedlogs/states/")
        );

        // Stream consumers.
        for (id, mapping) in of_type(&t, "AWS::Lambda::EventSourceMapping") {
            let p = &mapping["Properties"];
            assert_eq!(
                p["FunctionResponseTypes"][0], "ReportBatchItemFailures",
                "{name}: {id}"
            );
            assert_eq!(p["BisectBatchOnFunctionError"], true, "{name}: {id}");
            assert!(
                p["MaximumRetryAttempts"]
                    .as_u64()
                    .is_some_and(|n| n > 0 && n < 10_000),
                "{name}: {id}"
            );
            assert!(
                p["DestinationConfig"]["OnFailure"]["Destination"].is_object(),
                "{name}: {id}"
            );
        }
        let dispatcher = &t["Resources"]["OutboxDispatcherStreamMapping"]["Properties"];
        let pattern = dispatcher["FilterCriteria"]["Filters"][0]["Pattern"]
            .as_str()
            .unwrap();
        assert!(
            pattern.contains(&format!("\"prefix\":\"{}\"", saga.outbox.sk.prefix())),
            "{name}: {pattern}"
        );
        for (id, queue) in of_type(&t, "AWS::SQS::Queue") {
            assert!(
                queue["Properties"]["KmsMasterKeyId"].is_object(),
                "{name}: {id}"
            );
        }

        // API.
        if let Some(api) = &saga.api {
            let start = &t["Resources"]["ApiStartMethod"]["Properties"];
            let kind = match api.auth {
                sagac_core::ir::Auth::Iam => "AWS_IAM",
                sagac_core::ir::Auth::Cognito { .. } => "COGNITO_USER_POOLS",
                sagac_core::ir::Auth::None => "NONE",
            };
            assert_eq!(start["AuthorizationType"], kind, "{name}");
            assert!(start["RequestValidatorId"].is_object());
            let stage = &t["Resources"]["ApiStage"]["Properties"];
            assert!(stage["AccessLogSetting"]["DestinationArn"].is_object());
            assert_eq!(
                stage["MethodSettings"][0]["ThrottlingBurstLimit"],
                api.throttle_burst
            );
        }

        // Pipeline: a source connection, a build, a CloudFormation deploy.
        let p = pipeline::template(&saga);
        check_policies(&name, &p);
        let stages = &p["Resources"]["Pipeline"]["Properties"]["Stages"];
        let providers: Vec<&str> = stages
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                s["Actions"][0]["ActionTypeId"]["Provider"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(
            providers,
            ["CodeStarSourceConnection", "CodeBuild", "CloudFormation"],
            "{name}"
        );
    }
}

fn cfn_custom_config() -> &'static str {
    "TrafficShiftingConfig"
}

#[test]
fn output_is_deterministic() {
    for (name, saga) in sagas() {
        let a = sagac_core::emit::build(&saga);
        let b = sagac_core::emit::build(&saga);
        assert_eq!(a, b, "{name}");
    }
}

fn trip_text() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/trip.saga.yaml"))
        .unwrap()
}

fn version_ids(template: &Value) -> Vec<String> {
    of_type(template, "AWS::Lambda::Version")
        .into_iter()
        .map(|(id, _)| id.clone())
        .collect()
}

/// A configuration change publishes a new version of that function only
/// (a new logical id); an unchanged spec keeps every id.
#[test]
fn version_ids_follow_configuration() {
    let base = cfn::template(&compile_text("trip", &trip_text()));
    let again = cfn::template(&compile_text("trip", &trip_text()));
    assert_eq!(version_ids(&base), version_ids(&again));

    let changed = trip_text().replacen(
        "    memory: 256\n    timeout: 10s\n    reserved_concurrency: 50\n  hotel:",
        "    memory: 512\n    timeout: 10s\n    reserved_concurrency: 50\n  hotel:",
        1,
    );
    assert_ne!(changed, trip_text(), "the edit applies");
    let t = cfn::template(&compile_text("trip", &changed));
    let (before, after) = (version_ids(&base), version_ids(&t));
    let moved: Vec<_> = before.iter().zip(&after).filter(|(a, b)| a != b).collect();
    assert_eq!(moved.len(), 1, "{before:?} -> {after:?}");
    assert!(moved[0].0.starts_with("FlightVersion"));

    // The code key is in the version's description: a new artifact key is
    // a new version without any template change.
    let version = &t["Resources"][&after[0]]["Properties"]["Description"]["Fn::Sub"];
    assert!(version.as_str().unwrap().contains("${FlightCodeKey}"));
}

/// Variations the examples may not cover: no Datadog, no API, no views,
/// custom linear shifting, no alarms, tracing off.
#[test]
fn variations_build_consistent_stacks() {
    let base = trip_text();
    let without_datadog = {
        let start = base.find("  datadog:\n").unwrap();
        let end = base.find("  metrics:\n").unwrap();
        format!("{}{}", &base[..start], &base[end..])
    };
    // The metric stream goes to Datadog only: without Datadog it is refused,
    // not dropped (S085).
    let refused = sagac_core::compile_bytes("no-datadog", without_datadog.as_bytes())
        .expect_err("a metric stream without Datadog is refused");
    let codes: Vec<&str> = refused.1.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["S085"]);
    let no_datadog = {
        let start = without_datadog.find("  metric_stream:\n").unwrap();
        let end = without_datadog.find("  log_retention:").unwrap();
        format!("{}{}", &without_datadog[..start], &without_datadog[end..])
    };
    let saga = compile_text("no-datadog", &no_datadog);
    let t = cfn::template(&saga);
    assert!(t["Parameters"].get("DatadogApiKeySecretArn").is_none());
    assert!(t["Resources"].get("MetricStream").is_none());
    check_policies("no-datadog", &t);

    let linear = base.replace(
        "canary: { percent: 10, interval: 5m }",
        "linear: { percent: 15, interval: 4m }",
    );
    let t = cfn::template(&compile_text("linear", &linear));
    let config = &t["Resources"]["TrafficShiftingConfig"]["Properties"]["TrafficRoutingConfig"];
    assert_eq!(config["Type"], "TimeBasedLinear");
    assert_eq!(config["TimeBasedLinear"]["LinearPercentage"], 15);
    assert_eq!(config["TimeBasedLinear"]["LinearInterval"], 4);
}

/// The YAML writer is faithful: each template, parsed back by an
/// independent YAML parser (the spec reader's), is the JSON value it was
/// written from, the state machine definition included.
#[test]
fn yaml_round_trips() {
    for (name, saga) in sagas() {
        for file in sagac_core::emit::build(&saga) {
            let value = match file.path.as_str() {
                "template.yaml" => cfn::template(&saga),
                "pipeline.yaml" => pipeline::template(&saga),
                _ => continue,
            };
            let node = sagac_core::yaml::parse(&file.contents)
                .unwrap_or_else(|d| panic!("{name}: {} does not parse: {d:?}", file.path));
            assert_eq!(node.to_json(), value, "{name}: {}", file.path);
        }
        let template = cfn::template(&saga);
        assert_eq!(
            template["Resources"]["StateMachine"]["Properties"]["Definition"],
            asl::definition(&saga),
            "{name}: the template's definition is statemachine.asl.json"
        );
    }
}
