//! The Lambda standard every function of the stack follows.
//!
//! One [`Function`] becomes three resources: a log group with the spec's
//! retention (encrypted with the stack key), a role that names exactly what
//! the function uses (its log group, its statements, the key for its
//! environment, X-Ray when tracing, the Datadog secret when Datadog is
//! wired), and the function: `provided.al2023` with handler `bootstrap`,
//! the spec's architecture, code from the artifact bucket, explicit timeout,
//! memory and reserved concurrency, tracing, KMS-encrypted environment with
//! the `DD_` variables and the Datadog extension layer.

use serde_json::{Map, Value, json};

use super::model::{Resource, allow, assume_role, att, r, role, sub};
use super::{Stack, params};
use crate::ir::Architecture;
use crate::naming::Resource as Aws;

/// The AWS account publishing the Datadog Lambda extension layers.
pub const DATADOG_LAYER_ACCOUNT: &str = "464622532012";

/// Where a function's code comes from.
pub enum Code {
    /// A zip in the artifact bucket, key from this parameter (a Rust
    /// `bootstrap` on `provided.al2023`).
    Artifact(String),
    /// Inline Python source (the CodeDeploy traffic hooks).
    InlinePython(String),
}

/// One function and what it needs.
pub struct Function {
    /// Logical id of the function; the log group and role derive from it.
    pub id: String,
    /// Physical name stem (the name is `<stem>-${EnvironmentName}`).
    pub stem: String,
    /// What it does.
    pub description: String,
    /// Its code.
    pub code: Code,
    /// `DD_SERVICE` and the `service` tag.
    pub service: String,
    /// Memory in MB.
    pub memory_mb: u32,
    /// Timeout in seconds.
    pub timeout_seconds: u64,
    /// Reserved concurrency (`None`: the spec leaves it unreserved).
    pub reserved_concurrency: Option<u32>,
    /// Environment, beyond the `DD_` variables.
    pub environment: Vec<(String, Value)>,
    /// Layers, beyond the Datadog extension.
    pub layers: Vec<String>,
    /// IAM statements, beyond logs, X-Ray, the key and the Datadog secret.
    pub statements: Vec<Value>,
    /// Checkov checks that do not apply, with the reason.
    pub skips: Vec<(&'static str, String)>,
    /// Extra metadata.
    pub about: Option<String>,
}

impl Function {
    /// Logical id of the function's role.
    pub fn role_id(&self) -> String {
        format!("{}Role", self.id)
    }

    /// Logical id of the function's log group.
    pub fn log_group_id(&self) -> String {
        format!("{}LogGroup", self.id)
    }
}

/// The reason shared by every function about VPCs.
pub const NO_VPC: &str = "The function reaches only AWS regional APIs (DynamoDB, EventBridge, Secrets Manager, CodeDeploy) under IAM and the Datadog intake over HTTPS; it has no private resource to reach, and a VPC would only add NAT gateways in the path.";

/// The physical log group name of a function named `name` (an `Fn::Sub` body).
fn log_group_name(name: &str) -> String {
    format!("/aws/lambda/{name}")
}

/// Adds the function, its role and its log group; returns the properties
/// of the function (for the version hash).
pub(super) fn add(stack: &mut Stack<'_>, f: Function) -> Value {
    let saga = stack.saga;
    let obs = &saga.observability;
    let tracing = obs.tracing;

    // Log group.
    let group_name = stack.named(Aws::LogGroup, log_group_name(&f.stem));
    let log_group = Resource::new(
        "AWS::Logs::LogGroup",
        json!({
            "LogGroupName": group_name,
            "RetentionInDays": obs.log_retention_days,
            "KmsKeyId": stack.key_arn(),
            "Tags": stack.tags(&f.service),
        }),
    );
    stack.template.add(f.log_group_id(), log_group);

    // Role.
    let mut statements = vec![allow(
        "WriteOwnLogs",
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        vec![att(&f.log_group_id(), "Arn")],
    )];
    statements.extend(f.statements.iter().cloned());
    statements.push(allow(
        "DecryptEnvironment",
        &["kms:Decrypt"],
        vec![stack.key_arn()],
    ));
    if tracing {
        statements.push(allow(
            // X-Ray accepts no narrower resource than "*".
            "WriteTraces",
            &["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            vec![Value::from("*")],
        ));
    }
    let datadog = stack.datadog();
    if datadog.is_some() && matches!(f.code, Code::Artifact(_)) {
        statements.push(allow(
            "ReadDatadogApiKey",
            &["secretsmanager:GetSecretValue"],
            vec![r(params::DATADOG_SECRET)],
        ));
    }
    stack.template.add(
        f.role_id(),
        role(
            assume_role("lambda.amazonaws.com"),
            "least-privilege",
            statements,
            &[],
            stack.tags(&f.service),
        ),
    );

    // Function.
    let mut env = Map::new();
    for (k, v) in &f.environment {
        env.insert(k.clone(), v.clone());
    }
    let mut layers: Vec<Value> = f.layers.iter().map(|l| Value::from(l.as_str())).collect();
    if let (Some(dd), Code::Artifact(key)) = (datadog, &f.code) {
        env.insert("DD_SITE".into(), Value::from(dd.site.as_str()));
        env.insert("DD_API_KEY_SECRET_ARN".into(), r(params::DATADOG_SECRET));
        env.insert("DD_ENV".into(), r(params::ENVIRONMENT));
        env.insert("DD_SERVICE".into(), Value::from(f.service.as_str()));
        // The artifact key is `<prefix>/<sha256>.zip`: the version is the
        // content hash, the same string that names the code.
        env.insert(
            "DD_VERSION".into(),
            json!({ "Fn::Select": [0, { "Fn::Split": [".zip", { "Fn::Select": [1, { "Fn::Split": ["/", r(key)] }] }] }] }),
        );
        env.insert(
            "DD_TAGS".into(),
            Value::from(format!("saga:{}", saga.kebab)),
        );
        env.insert("DD_SERVERLESS_LOGS_ENABLED".into(), Value::from("true"));
        env.insert(
            "DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_HTTP_ENDPOINT".into(),
            Value::from("localhost:4318"),
        );
        env.insert("DD_TRACE_ENABLED".into(), Value::from(tracing.to_string()));
        let layer = match saga.deployment.architecture {
            Architecture::Arm64 => "Datadog-Extension-ARM",
            Architecture::X86_64 => "Datadog-Extension",
        };
        layers.push(sub(format!(
            "arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:{DATADOG_LAYER_ACCOUNT}:layer:{layer}:{}",
            dd.extension_version
        )));
    } else if matches!(f.code, Code::Artifact(_)) {
        env.insert("DD_TRACE_ENABLED".into(), Value::from("false"));
    }

    let mut props = Map::new();
    props.insert(
        "FunctionName".into(),
        stack.named(Aws::Function, f.stem.clone()),
    );
    props.insert("Description".into(), Value::from(f.description.as_str()));
    match &f.code {
        Code::Artifact(key) => {
            props.insert("Runtime".into(), Value::from(super::RUNTIME));
            props.insert("Handler".into(), Value::from("bootstrap"));
            props.insert(
                "Architectures".into(),
                json!([saga.deployment.architecture.as_aws()]),
            );
            props.insert(
                "Code".into(),
                json!({ "S3Bucket": r(params::ARTIFACT_BUCKET), "S3Key": r(key) }),
            );
        }
        Code::InlinePython(source) => {
            props.insert("Runtime".into(), Value::from("python3.13"));
            props.insert("Handler".into(), Value::from("index.handler"));
            props.insert(
                "Architectures".into(),
                json!([saga.deployment.architecture.as_aws()]),
            );
            props.insert("Code".into(), json!({ "ZipFile": source }));
        }
    }
    props.insert("Role".into(), att(&f.role_id(), "Arn"));
    props.insert("MemorySize".into(), Value::from(f.memory_mb));
    props.insert("Timeout".into(), Value::from(f.timeout_seconds));
    if let Some(n) = f.reserved_concurrency {
        props.insert("ReservedConcurrentExecutions".into(), Value::from(n));
    }
    props.insert(
        "TracingConfig".into(),
        json!({ "Mode": if tracing { "Active" } else { "PassThrough" } }),
    );
    props.insert(
        "LoggingConfig".into(),
        json!({ "LogGroup": r(&f.log_group_id()), "LogFormat": "Text" }),
    );
    if !env.is_empty() {
        props.insert("Environment".into(), json!({ "Variables": env }));
    }
    props.insert("KmsKeyArn".into(), stack.key_arn());
    if !layers.is_empty() {
        props.insert("Layers".into(), Value::from(layers));
    }
    props.insert("Tags".into(), stack.tags(&f.service));
    let props = Value::Object(props);

    let mut function = Resource::new("AWS::Lambda::Function", props.clone());
    if let Some(about) = &f.about {
        function = function.metadata("sagac", json!({ "about": about }));
    }
    for (id, reason) in &f.skips {
        function = function.checkov_skip(id, reason);
    }
    function = function.checkov_skip("CKV_AWS_117", NO_VPC);
    if f.reserved_concurrency.is_none() {
        function = function.checkov_skip(
            "CKV_AWS_115",
            "The spec leaves this service's concurrency unreserved (services.<name>.reserved_concurrency); the state machine's own concurrency bounds it.",
        );
    }
    stack.template.add(&f.id, function);
    props
}
