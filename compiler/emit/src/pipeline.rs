//! `pipeline.yaml`: the delivery pipeline of one saga.
//!
//! CodePipeline (V2) with three stages:
//!
//! 1. **Source** — a CodeStar (CodeConnections) source action on the
//!    spec's repository and branch.
//! 2. **Build** — CodeBuild on the saga's architecture (an Arm build image
//!    for `arm64`, so the binaries are built natively for Graviton) with an
//!    inline buildspec: install Rust, run the tests, check that the
//!    committed `generated/` output matches the specs (`sagac build
//!    --check`), then `sagac package SpecPath --upload CodeBucket`: build
//!    every function binary for `provided.al2023`, check it, package it
//!    as `bootstrap` in a reproducible zip, upload it under its
//!    content-addressed key `<function>/<sha256 of bootstrap>.zip`
//!    (skipped when that key already exists), and write the keys into a
//!    CloudFormation template configuration file.
//! 3. **Deploy** — a CloudFormation action that creates or updates the
//!    saga's stack from `template.yaml` with those keys; CodeDeploy then
//!    shifts each alias by the spec's canary. An unchanged binary keeps
//!    its key, so its function gets no new version and no deployment.
//!
//! The artifact store and the code bucket are encrypted with the
//! pipeline's KMS key, versioned, private and access-logged. Each role
//! names what it uses; the CloudFormation role may manage only resources
//! named after this saga (explicit names from the stack template, and the
//! saga's prefix for names CloudFormation generates).

use serde_json::{Value, json};

use super::OutputFile;
use super::cfn::bucket::{
    access_log_bucket, access_log_policy, deny_insecure, public_access_block,
};
use super::cfn::model::{
    Resource, Template, allow, assume_role, assume_role_from_account, att, r, role, sub,
};
use super::cfn::{self, PREAMBLE, params, yaml};
use crate::ir::{Architecture, Saga};
use crate::naming::Resource as Aws;

/// Every pipeline output file: `pipeline.yaml`.
pub fn emit(saga: &Saga) -> Vec<OutputFile> {
    let mut header: Vec<&str> = PREAMBLE.to_vec();
    header.extend_from_slice(&[
        "",
        "The delivery pipeline: source -> build (tests, `sagac build --check`, packaging",
        "of content-addressed `bootstrap` zips) -> CloudFormation deploy of template.yaml.",
        "The canary itself happens in CodeDeploy, driven by the stack's alias update policies.",
    ]);
    vec![OutputFile {
        path: "pipeline.yaml".into(),
        contents: yaml::document(&header, &template(saga)),
    }]
}

const KEY: &str = "PipelineKey";
const LOG_BUCKET: &str = "AccessLogBucket";
const ARTIFACT_STORE: &str = "ArtifactStoreBucket";
const CODE_BUCKET: &str = "CodeBucket";
const BUILD_LOGS: &str = "BuildLogGroup";
const BUILD_ROLE: &str = "BuildRole";
const BUILD: &str = "Build";
const DEPLOY_ROLE: &str = "StackDeployRole";
const PIPELINE_ROLE: &str = "PipelineRole";

fn tags(saga: &Saga) -> Value {
    json!([
        { "Key": "env", "Value": r(params::ENVIRONMENT) },
        { "Key": "saga", "Value": saga.kebab },
        { "Key": "service", "Value": "pipeline" },
    ])
}

/// The name of the saga's application stack, as an `Fn::Sub` body.
fn stack_name(saga: &Saga) -> String {
    format!("{}-${{{}}}", saga.kebab, params::ENVIRONMENT)
}

/// The prefix of names CloudFormation generates for the application stack
/// (`<stack name>-<logical id>-<suffix>`, the stack name possibly
/// truncated): the saga's kebab name, at most 12 characters.
fn generated_prefix(saga: &Saga) -> String {
    saga.kebab.chars().take(12).collect()
}

/// The pipeline template as a JSON value.
pub fn template(saga: &Saga) -> Value {
    let mut t = Template::new(format!(
        "Delivery pipeline of the {} saga (sagac).",
        saga.name
    ));
    parameters(&mut t, saga);
    key_and_buckets(&mut t, saga);
    build(&mut t, saga);
    deploy_role(&mut t, saga);
    pipeline(&mut t, saga);
    t.output(
        "PipelineName",
        "Name of the delivery pipeline.",
        r("Pipeline"),
        None,
    );
    t.output(
        "CodeBucketName",
        "Bucket of the functions' content-addressed artifacts (the stack's ArtifactBucket).",
        r(CODE_BUCKET),
        None,
    );
    t.into_value()
}

fn parameters(t: &mut Template, saga: &Saga) {
    t.parameter(
        "ConnectionArn",
        json!({
            "Type": "String",
            "Description": "ARN of the CodeStar / CodeConnections connection to the source repository (created and authorised once in the console).",
            "AllowedPattern": "^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:[0-9]{12}:connection/.+$",
        }),
    );
    let mut repository = json!({ "Type": "String", "Description": "Repository (`owner/name`).", "AllowedPattern": "^[^/\\s]+/[^/\\s]+$" });
    let mut branch =
        json!({ "Type": "String", "Description": "Branch to deliver.", "MinLength": 1 });
    if let Some(p) = &saga.deployment.pipeline {
        repository["Default"] = Value::from(p.repository.as_str());
        branch["Default"] = Value::from(p.branch.as_str());
    }
    t.parameter("RepositoryId", repository);
    t.parameter("BranchName", branch);
    t.parameter(
        "SpecPaths",
        json!({
            "Type": "String",
            "Description": "Spec files `sagac build --check` verifies (a shell glob, relative to the repository root).",
            "Default": "spec/*.saga.yaml",
        }),
    );
    t.parameter(
        "SpecPath",
        json!({
            "Type": "String",
            "Description": format!("The spec of the {} saga (relative to the repository root): `sagac package` builds the functions it names.", saga.name),
            "MinLength": 1,
        }),
    );
    t.parameter(
        params::ENVIRONMENT,
        json!({
            "Type": "String",
            "Description": "Environment the pipeline deploys to (the stack is `<saga>-<environment>`).",
            "Default": "prod",
            "AllowedPattern": crate::naming::environment_pattern(),
        }),
    );
    t.parameter(
        params::ALARM_TOPIC,
        json!({
            "Type": "String",
            "Description": "SNS topic ARN passed to the stack: every alarm notifies it.",
            "AllowedPattern": "^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:.+$",
        }),
    );
    if saga.observability.datadog.is_some() {
        t.parameter(
            params::DATADOG_SECRET,
            json!({
                "Type": "String",
                "Description": "ARN of the Datadog API key secret, passed to the stack.",
                "AllowedPattern": "^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$",
            }),
        );
    }
}

fn key_and_buckets(t: &mut Template, saga: &Saga) {
    t.add(
        KEY,
        Resource::new(
            "AWS::KMS::Key",
            json!({
                "Description": format!("Encrypts the {} pipeline's artifacts, code and build logs.", saga.name),
                "EnableKeyRotation": true,
                "PendingWindowInDays": 30,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountAdministersKeyThroughIam",
                            "Effect": "Allow",
                            "Principal": { "AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root") },
                            "Action": "kms:*",
                            "Resource": "*",
                        },
                        {
                            "Sid": "CloudWatchLogsEncryptsBuildLogs",
                            "Effect": "Allow",
                            "Principal": { "Service": sub("logs.${AWS::Region}.amazonaws.com") },
                            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                            "Resource": "*",
                            "Condition": { "ArnLike": { "kms:EncryptionContext:aws:logs:arn": sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*") } },
                        },
                    ],
                },
                "Tags": tags(saga),
            }),
        )
        .retain(),
    );
    t.add(
        format!("{KEY}Alias"),
        Resource::new(
            "AWS::KMS::Alias",
            json!({ "AliasName": sub(format!("alias/{}-pipeline-${{{}}}", saga.kebab, params::ENVIRONMENT)), "TargetKeyId": r(KEY) }),
        ),
    );
    t.add(
        LOG_BUCKET,
        access_log_bucket(
            "the pipeline's buckets",
            json!({ "Id": "expire", "Status": "Enabled", "ExpirationInDays": 365, "NoncurrentVersionExpiration": { "NoncurrentDays": 30 } }),
            tags(saga),
        ),
    );
    t.add(
        format!("{LOG_BUCKET}Policy"),
        access_log_policy(LOG_BUCKET, None),
    );
    for (id, about, days) in [
        (
            ARTIFACT_STORE,
            "Pipeline artifacts (source, build output).",
            Some(90),
        ),
        (
            CODE_BUCKET,
            "Function zips under content-addressed keys `<function>/<sha256>.zip`; the stack's versions point at them, so they are kept (a rollback needs the old ones).",
            None,
        ),
    ] {
        let mut rules = vec![
            json!({ "Id": "abort-uploads", "Status": "Enabled", "AbortIncompleteMultipartUpload": { "DaysAfterInitiation": 7 } }),
        ];
        if let Some(days) = days {
            rules.push(json!({ "Id": "expire", "Status": "Enabled", "ExpirationInDays": days, "NoncurrentVersionExpiration": { "NoncurrentDays": 30 } }));
        }
        t.add(
            id,
            Resource::new(
                "AWS::S3::Bucket",
                json!({
                    "BucketEncryption": { "ServerSideEncryptionConfiguration": [{
                        "ServerSideEncryptionByDefault": { "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": att(KEY, "Arn") },
                        "BucketKeyEnabled": true,
                    }] },
                    "VersioningConfiguration": { "Status": "Enabled" },
                    "PublicAccessBlockConfiguration": public_access_block(),
                    "OwnershipControls": { "Rules": [{ "ObjectOwnership": "BucketOwnerEnforced" }] },
                    "LoggingConfiguration": { "DestinationBucketName": r(LOG_BUCKET), "LogFilePrefix": format!("{}/", id.to_lowercase()) },
                    "LifecycleConfiguration": { "Rules": rules },
                    "Tags": tags(saga),
                }),
            )
            .retain()
            .metadata("sagac", json!({ "about": about })),
        );
        t.add(
            format!("{id}Policy"),
            Resource::new(
                "AWS::S3::BucketPolicy",
                json!({ "Bucket": r(id), "PolicyDocument": { "Version": "2012-10-17", "Statement": [deny_insecure(id)] } }),
            ),
        );
    }
}

/// The CodeBuild environment of the saga's architecture: an image of the
/// same architecture, so the functions are built natively.
fn toolchain(arch: Architecture) -> (&'static str, &'static str) {
    match arch {
        Architecture::Arm64 => (
            "ARM_CONTAINER",
            "aws/codebuild/amazonlinux-aarch64-standard:3.0",
        ),
        Architecture::X86_64 => (
            "LINUX_CONTAINER",
            "aws/codebuild/amazonlinux-x86_64-standard:5.0",
        ),
    }
}

/// The inline buildspec. The packaging is `sagac package` (tested in the
/// `sagac` crate), not shell: it builds every function of
/// [`cfn::artifacts`], checks each binary, zips it reproducibly, uploads
/// the zips whose keys are new and writes the code key parameters.
pub fn buildspec(saga: &Saga) -> String {
    let triple = cfn::rust_target(saga.deployment.architecture);
    let functions: Vec<String> = cfn::artifacts(saga)
        .iter()
        .map(|a| format!("{} ({})", a.prefix, a.parameter))
        .collect();
    format!(
        r#"version: 0.2
env:
  shell: bash
  variables:
    CARGO_TERM_COLOR: never
    CARGO_INCREMENTAL: "0"
    # The sagac release that generated this pipeline, for projects whose
    # workspace does not hold sagac itself.
    SAGAC_GIT: "{sagac_git}"
    SAGAC_TAG: "v{sagac_version}"
phases:
  install:
    commands:
      - dnf install -y -q cmake
      # Rust: rust-toolchain.toml in the repository, when present, picks the version.
      - curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain stable
      - source "$HOME/.cargo/env"
  pre_build:
    commands:
      # The tests: the project's test script when it has one (it installs its
      # own tools), else the workspace's cargo tests.
      - if [ -x scripts/test.sh ]; then scripts/test.sh; else cargo test --workspace --locked; fi
      # sagac: this repository's own when it is sagac's workspace, else the
      # release these outputs were generated with (a project from `sagac init`).
      - if cargo metadata --locked --no-deps --format-version 1 | grep -q '"name":"sagac"'; then cargo build --locked --release -p sagac && mkdir -p .sagac/bin && cp target/release/sagac .sagac/bin/; else cargo install --locked --root .sagac --git "$SAGAC_GIT" --tag "$SAGAC_TAG" sagac; fi
      - export PATH="$PWD/.sagac/bin:$PATH"
      # The committed generated/ output must match the specs.
      - for spec in $SPEC_PATHS; do sagac build "$spec" --check; done
  build:
    commands:
      # Every function of the stack: {functions};
      # each built natively on this image for {runtime} ({triple}),
      # checked (architecture, glibc <= {glibc_major}.{glibc_minor}), zipped reproducibly as `bootstrap`,
      # uploaded under its content-addressed key unless that key is already there.
      # The code key parameters go to {kebab}.template-config.json.
      - sagac package "$SPEC_PATH" --profile release --locked --out deploy/lambda --upload "$CODE_BUCKET"
      - cp deploy/lambda/{kebab}.template-config.json deploy/template-config.json
      - cp "$SAGA_DIR/template.yaml" deploy/template.yaml
artifacts:
  base-directory: deploy
  files:
    - template.yaml
    - template-config.json
"#,
        functions = functions.join(", "),
        runtime = cfn::RUNTIME,
        glibc_major = cfn::RUNTIME_GLIBC.0,
        glibc_minor = cfn::RUNTIME_GLIBC.1,
        kebab = saga.kebab,
        sagac_git = env!("CARGO_PKG_REPOSITORY"),
        sagac_version = env!("CARGO_PKG_VERSION"),
    )
}

fn build(t: &mut Template, saga: &Saga) {
    let (environment_type, image) = toolchain(saga.deployment.architecture);
    t.add(
        BUILD_LOGS,
        Resource::new(
            "AWS::Logs::LogGroup",
            json!({
                "LogGroupName": sub(format!("/aws/codebuild/{}-build-${{{}}}", saga.kebab, params::ENVIRONMENT)),
                "RetentionInDays": saga.observability.log_retention_days,
                "KmsKeyId": att(KEY, "Arn"),
                "Tags": tags(saga),
            }),
        ),
    );
    t.add(
        BUILD_ROLE,
        role(
            assume_role_from_account("codebuild.amazonaws.com"),
            "least-privilege",
            vec![
                allow(
                    "WriteBuildLogs",
                    &["logs:CreateLogStream", "logs:PutLogEvents"],
                    vec![att(BUILD_LOGS, "Arn")],
                ),
                allow(
                    "ReadSourceWriteOutput",
                    &["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                    vec![sub(format!("${{{ARTIFACT_STORE}.Arn}}/*"))],
                ),
                allow(
                    "UploadFunctionCode",
                    &["s3:GetObject", "s3:PutObject"],
                    vec![sub(format!("${{{CODE_BUCKET}.Arn}}/*"))],
                ),
                // Without ListBucket a missing key answers 403, not 404.
                allow(
                    "SeeWhichCodeExists",
                    &["s3:ListBucket"],
                    vec![att(CODE_BUCKET, "Arn")],
                ),
                allow(
                    "UsePipelineKey",
                    &["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                    vec![att(KEY, "Arn")],
                ),
            ],
            &[],
            tags(saga),
        ),
    );
    t.add(
        BUILD,
        Resource::new(
            "AWS::CodeBuild::Project",
            json!({
                "Description": format!("Tests, checks and packages the {} saga.", saga.name),
                "ServiceRole": att(BUILD_ROLE, "Arn"),
                "Source": { "Type": "CODEPIPELINE", "BuildSpec": buildspec(saga) },
                "Artifacts": { "Type": "CODEPIPELINE" },
                "Environment": {
                    "Type": environment_type,
                    "ComputeType": "BUILD_GENERAL1_LARGE",
                    "Image": image,
                    "PrivilegedMode": false,
                    "EnvironmentVariables": [
                        { "Name": "CODE_BUCKET", "Type": "PLAINTEXT", "Value": r(CODE_BUCKET) },
                        { "Name": "SAGA_DIR", "Type": "PLAINTEXT", "Value": format!("generated/{}", saga.kebab) },
                        { "Name": "SPEC_PATHS", "Type": "PLAINTEXT", "Value": r("SpecPaths") },
                        { "Name": "SPEC_PATH", "Type": "PLAINTEXT", "Value": r("SpecPath") },
                    ],
                },
                "EncryptionKey": att(KEY, "Arn"),
                "LogsConfig": { "CloudWatchLogs": { "Status": "ENABLED", "GroupName": r(BUILD_LOGS) } },
                "TimeoutInMinutes": 90,
                "QueuedTimeoutInMinutes": 60,
                "Tags": tags(saga),
            }),
        ),
    );
}

/// The names the application stack gives its resources, as its emitter
/// sets them ([`cfn::stack_names`]): each with the environment as `*`.
fn explicit_names(saga: &Saga) -> Vec<(Aws, String)> {
    cfn::stack_names(saga)
        .into_iter()
        .map(|name| (name.resource, format!("{}-*", name.stem)))
        .collect()
}

fn arns(names: &[(Aws, String)], resource: Aws, arn: impl Fn(&str) -> String) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for (named, name) in names {
        if *named == resource {
            let value = sub(arn(name));
            if !out.contains(&value) {
                out.push(value);
            }
        }
    }
    out
}

fn deploy_role(t: &mut Template, saga: &Saga) {
    let names = explicit_names(saga);
    let p = generated_prefix(saga);
    let region = "arn:${AWS::Partition}:{svc}:${AWS::Region}:${AWS::AccountId}";
    let at = |svc: &str, rest: &str| sub(format!("{}:{rest}", region.replace("{svc}", svc)));
    let mut statements = Vec::new();

    let mut tables = arns(&names, Aws::Table, |n| {
        format!("{}:table/{n}", region.replace("{svc}", "dynamodb"))
    });
    tables.extend(arns(&names, Aws::Table, |n| {
        format!("{}:table/{n}/*", region.replace("{svc}", "dynamodb"))
    }));
    statements.push(allow("ManageTables", &["dynamodb:*"], tables));

    let mut functions = arns(&names, Aws::Function, |n| {
        format!("{}:function:{n}", region.replace("{svc}", "lambda"))
    });
    functions.extend(arns(&names, Aws::Function, |n| {
        format!("{}:function:{n}:*", region.replace("{svc}", "lambda"))
    }));
    statements.push(allow("ManageFunctions", &["lambda:*"], functions));
    statements.push(allow(
        // Event source mappings are named by UUID only.
        "ManageStreamMappings",
        &[
            "lambda:CreateEventSourceMapping",
            "lambda:UpdateEventSourceMapping",
            "lambda:DeleteEventSourceMapping",
            "lambda:GetEventSourceMapping",
            "lambda:TagResource",
            "lambda:UntagResource",
            "lambda:ListTags",
        ],
        vec![at("lambda", "event-source-mapping:*")],
    ));
    let mut layers = vec![sub(format!(
        "arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:{}:layer:Datadog-Extension*:*",
        cfn::DATADOG_LAYER_ACCOUNT
    ))];
    for service in &saga.services {
        for layer in &service.layers {
            let v = Value::from(layer.as_str());
            if !layers.contains(&v) {
                layers.push(v);
            }
        }
    }
    statements.push(allow("UseLayers", &["lambda:GetLayerVersion"], layers));

    statements.push(allow(
        "ManageStateMachine",
        &["states:*"],
        arns(&names, Aws::StateMachine, |n| {
            format!("{}:stateMachine:{n}", region.replace("{svc}", "states"))
        }),
    ));
    let mut groups = arns(&names, Aws::LogGroup, |n| {
        format!("{}:log-group:{n}", region.replace("{svc}", "logs"))
    });
    groups.extend(arns(&names, Aws::LogGroup, |n| {
        format!("{}:log-group:{n}:*", region.replace("{svc}", "logs"))
    }));
    statements.push(allow("ManageLogGroups", &["logs:*"], groups));
    statements.push(allow(
        // Creating a state machine's log delivery, and listing log groups,
        // accept no narrower resource.
        "ConfigureLogDelivery",
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
    statements.push(allow("ManageEventBus", &["events:*"], {
        let mut v = arns(&names, Aws::EventBus, |n| {
            format!("{}:event-bus/{n}", region.replace("{svc}", "events"))
        });
        v.push(at("events", "archive/*"));
        v
    }));
    statements.push(allow(
        "ManageRoles",
        &[
            "iam:CreateRole",
            "iam:DeleteRole",
            "iam:GetRole",
            "iam:UpdateRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:PutRolePolicy",
            "iam:GetRolePolicy",
            "iam:DeleteRolePolicy",
            "iam:ListRolePolicies",
            "iam:AttachRolePolicy",
            "iam:DetachRolePolicy",
            "iam:ListAttachedRolePolicies",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:PassRole",
        ],
        vec![sub(format!(
            "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{p}*"
        ))],
    ));
    statements.push(allow(
        "ManageQueuesAlarmsStreams",
        &["sqs:*", "cloudwatch:*", "firehose:*"],
        vec![
            at("sqs", &format!("{p}*")),
            at("cloudwatch", &format!("alarm:{p}*")),
            at("firehose", &format!("deliverystream/{p}*")),
        ],
    ));
    let streams = arns(&names, Aws::MetricStream, |n| {
        format!(
            "{}:metric-stream/{n}",
            region.replace("{svc}", "cloudwatch")
        )
    });
    if !streams.is_empty() {
        statements.push(allow("ManageMetricStream", &["cloudwatch:*"], streams));
    }
    statements.push(allow(
        "ManageBuckets",
        &["s3:*"],
        vec![
            sub(format!("arn:${{AWS::Partition}}:s3:::{p}*")),
            sub(format!("arn:${{AWS::Partition}}:s3:::{p}*/*")),
        ],
    ));
    statements.push(allow(
        "ManageDeployments",
        &["codedeploy:*"],
        vec![
            at("codedeploy", &format!("application:{p}*")),
            at("codedeploy", &format!("deploymentgroup:{p}*")),
            at("codedeploy", "deploymentconfig:*"),
        ],
    ));
    statements.push(allow(
        // REST APIs are addressed by generated ids, not names.
        "ManageApi",
        &["apigateway:*"],
        vec![sub("arn:${AWS::Partition}:apigateway:${AWS::Region}::/*")],
    ));
    statements.push(json!({
        // A new key has no ARN yet: CreateKey (and tagging it on creation)
        // accept no narrower resource; the request must tag it as this saga's.
        "Sid": "CreateStackKey",
        "Effect": "Allow",
        "Action": ["kms:CreateKey", "kms:TagResource"],
        "Resource": "*",
        "Condition": { "StringEquals": { "aws:RequestTag/saga": saga.kebab } },
    }));
    statements.push(json!({
        "Sid": "ManageAndUseStackKey",
        "Effect": "Allow",
        "Action": "kms:*",
        "Resource": at("kms", "key/*"),
        "Condition": { "StringEquals": { "aws:ResourceTag/saga": saga.kebab } },
    }));
    statements.push(allow(
        "ManageStackKeyAlias",
        &["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"],
        arns(&names, Aws::KmsAlias, |n| {
            format!("{}:{n}", region.replace("{svc}", "kms"))
        }),
    ));
    statements.push(allow(
        "ReadFunctionCode",
        &["s3:GetObject", "s3:GetObjectVersion"],
        vec![sub(format!("${{{CODE_BUCKET}.Arn}}/*"))],
    ));
    statements.push(allow(
        "DecryptFunctionCode",
        &["kms:Decrypt"],
        vec![att(KEY, "Arn")],
    ));
    if saga.observability.datadog.is_some() {
        statements.push(allow(
            // Resolves the Firehose destination's {{resolve:secretsmanager:...}}.
            "ResolveDatadogApiKey",
            &["secretsmanager:GetSecretValue"],
            vec![r(params::DATADOG_SECRET)],
        ));
    }
    t.add(
        DEPLOY_ROLE,
        role(assume_role("cloudformation.amazonaws.com"), "saga-stack", statements, &[], tags(saga)).metadata(
            "sagac",
            json!({ "about": "Assumed by CloudFormation to create and update the saga's stack: it may manage only resources named after this saga." }),
        ),
    );
}

fn pipeline(t: &mut Template, saga: &Saga) {
    let stack = stack_name(saga);
    t.add(
        PIPELINE_ROLE,
        role(
            assume_role_from_account("codepipeline.amazonaws.com"),
            "least-privilege",
            vec![
                allow(
                    "UseArtifactStore",
                    &["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:GetBucketVersioning", "s3:GetBucketLocation"],
                    vec![att(ARTIFACT_STORE, "Arn"), sub(format!("${{{ARTIFACT_STORE}.Arn}}/*"))],
                ),
                allow("UseSourceConnection", &["codestar-connections:UseConnection", "codeconnections:UseConnection"], vec![r("ConnectionArn")]),
                allow("RunBuild", &["codebuild:StartBuild", "codebuild:BatchGetBuilds"], vec![att(BUILD, "Arn")]),
                allow(
                    "DeployStack",
                    &[
                        "cloudformation:CreateStack",
                        "cloudformation:UpdateStack",
                        "cloudformation:DescribeStacks",
                        "cloudformation:DescribeStackEvents",
                        "cloudformation:GetTemplate",
                    ],
                    vec![sub(format!("arn:${{AWS::Partition}}:cloudformation:${{AWS::Region}}:${{AWS::AccountId}}:stack/{stack}/*"))],
                ),
                json!({
                    "Sid": "PassDeployRole",
                    "Effect": "Allow",
                    "Action": "iam:PassRole",
                    "Resource": att(DEPLOY_ROLE, "Arn"),
                    "Condition": { "StringEquals": { "iam:PassedToService": "cloudformation.amazonaws.com" } },
                }),
                allow("UsePipelineKey", &["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], vec![att(KEY, "Arn")]),
            ],
            &[],
            tags(saga),
        ),
    );

    let mut overrides = format!(
        "{{\"{env}\": \"${{{env}}}\", \"{topic}\": \"${{{topic}}}\", \"{bucket}\": \"${{{code}}}\"",
        env = params::ENVIRONMENT,
        topic = params::ALARM_TOPIC,
        bucket = params::ARTIFACT_BUCKET,
        code = CODE_BUCKET,
    );
    if saga.observability.datadog.is_some() {
        overrides.push_str(&format!(
            ", \"{s}\": \"${{{s}}}\"",
            s = params::DATADOG_SECRET
        ));
    }
    overrides.push('}');

    t.add(
        "Pipeline",
        Resource::new(
            "AWS::CodePipeline::Pipeline",
            json!({
                "PipelineType": "V2",
                "ExecutionMode": "QUEUED",
                "RoleArn": att(PIPELINE_ROLE, "Arn"),
                "RestartExecutionOnUpdate": false,
                "ArtifactStore": {
                    "Type": "S3",
                    "Location": r(ARTIFACT_STORE),
                    "EncryptionKey": { "Id": att(KEY, "Arn"), "Type": "KMS" },
                },
                "Stages": [
                    {
                        "Name": "Source",
                        "Actions": [{
                            "Name": "Source",
                            "ActionTypeId": { "Category": "Source", "Owner": "AWS", "Provider": "CodeStarSourceConnection", "Version": "1" },
                            "Configuration": {
                                "ConnectionArn": r("ConnectionArn"),
                                "FullRepositoryId": r("RepositoryId"),
                                "BranchName": r("BranchName"),
                                "OutputArtifactFormat": "CODE_ZIP",
                                "DetectChanges": true,
                            },
                            "OutputArtifacts": [{ "Name": "Source" }],
                        }],
                    },
                    {
                        "Name": "Build",
                        "Actions": [{
                            "Name": "TestCheckPackage",
                            "ActionTypeId": { "Category": "Build", "Owner": "AWS", "Provider": "CodeBuild", "Version": "1" },
                            "Configuration": { "ProjectName": r(BUILD) },
                            "InputArtifacts": [{ "Name": "Source" }],
                            "OutputArtifacts": [{ "Name": "Package" }],
                        }],
                    },
                    {
                        "Name": "Deploy",
                        "Actions": [{
                            "Name": "DeployStack",
                            "ActionTypeId": { "Category": "Deploy", "Owner": "AWS", "Provider": "CloudFormation", "Version": "1" },
                            "Configuration": {
                                "ActionMode": "CREATE_UPDATE",
                                "StackName": sub(stack),
                                "TemplatePath": "Package::template.yaml",
                                "TemplateConfiguration": "Package::template-config.json",
                                "Capabilities": "CAPABILITY_IAM",
                                "RoleArn": att(DEPLOY_ROLE, "Arn"),
                                "ParameterOverrides": sub(overrides),
                            },
                            "InputArtifacts": [{ "Name": "Package" }],
                        }],
                    },
                ],
                "Tags": tags(saga),
            }),
        ),
    );
}
