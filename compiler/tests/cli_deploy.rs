//! `sagac deploy` through the real binary against moto's CloudFormation and
//! S3 on loopback, with the AWS SDK's standard variables
//! (`AWS_ENDPOINT_URL`, `AWS_REGION`, credentials), on packages `sagac
//! package` made of the fixture project (`fixtures/package`).
//!
//! moto builds the change set of the template the echo saga compiles to,
//! but cannot create every resource type in it (its KMS key's tags, for
//! one), so the stacks that are executed are `fixtures/package/stack.yaml`
//! (the same parameters, and functions whose code moto's Lambda reads from
//! the uploaded keys) and `broken.yaml`. Two things moto does not do are
//! unit-tested in `deploy::report` instead: per-resource events (moto
//! records only the stack's), and outputs after a change set (moto does not
//! compute them there).

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use support::{block_on, package, sagac_on_moto, scratch, sdk, spec, text, unique};

/// A fresh bucket on moto.
fn bucket() -> String {
    let name = unique("sagac-deploy");
    block_on(async {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk().await)
                .force_path_style(true)
                .build(),
        )
        .create_bucket()
        .bucket(&name)
        .send()
        .await
        .unwrap();
    });
    name
}

/// The keys in a bucket.
fn keys(bucket: &str) -> Vec<String> {
    block_on(async {
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk().await)
                .force_path_style(true)
                .build(),
        );
        let listed = s3.list_objects_v2().bucket(bucket).send().await.unwrap();
        let mut keys: Vec<String> = listed
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect();
        keys.sort();
        keys
    })
}

fn stack_status(stack: &str) -> String {
    block_on(async {
        let cfn = aws_sdk_cloudformation::Client::new(&sdk().await);
        let out = cfn
            .describe_stacks()
            .stack_name(stack)
            .send()
            .await
            .unwrap();
        out.stacks()[0].stack_status().unwrap().as_str().to_owned()
    })
}

/// The fixture, packaged once per test into its own directory.
fn packaged(name: &str) -> PathBuf {
    let out = scratch(name);
    package(&out);
    out
}

fn deploy(package_dir: &Path, stack: &str, bucket: &str, extra: &[&str]) -> Output {
    deploy_with_input(package_dir, stack, bucket, extra, None)
}

fn deploy_with_input(
    package_dir: &Path,
    stack: &str,
    bucket: &str,
    extra: &[&str],
    input: Option<&str>,
) -> Output {
    let spec = spec();
    let mut args = vec![
        "deploy",
        spec.to_str().unwrap(),
        "--stack",
        stack,
        "--bucket",
        bucket,
        "--env",
        "test",
        "--package-dir",
        package_dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let mut command = sagac_on_moto(&args);
    if input.is_some() {
        command.stdin(Stdio::piped());
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = input {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    let (_, stderr) = text(&output);
    assert!(!stderr.contains("panicked"), "{stderr}");
    output
}

fn fixture_template(name: &str) -> String {
    support::fixture().join(name).to_string_lossy().into_owned()
}

/// The code keys `sagac package` wrote.
fn code_keys(package_dir: &Path) -> Vec<String> {
    let config: serde_json::Value = serde_json::from_slice(
        &std::fs::read(package_dir.join("echo.template-config.json")).unwrap(),
    )
    .unwrap();
    let mut keys: Vec<String> = config["Parameters"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    keys.sort();
    keys
}

#[test]
fn a_first_deploy_creates_the_stack_and_a_second_finds_no_changes() {
    let dir = packaged("deploy-create");
    let bucket = bucket();
    let stack = unique("echo-create");
    let template = fixture_template("stack.yaml");

    let first = deploy(&dir, &stack, &bucket, &["--template", &template, "--yes"]);
    let (stdout, stderr) = text(&first);
    assert_eq!(first.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("stack {stack} in us-east-1: new")),
        "{stdout}"
    );
    // Both zips uploaded under their keys, then the change set shown before
    // it runs, then the events, then the final status.
    for key in code_keys(&dir) {
        let line = stdout
            .lines()
            .find(|l| l.contains(&format!("s3://{bucket}/{key}")))
            .unwrap_or_else(|| panic!("no upload of {key}:\n{stdout}"));
        assert!(
            line.ends_with("KiB)") && line.contains("uploaded"),
            "{line}"
        );
    }
    let table = stdout.find("change set sagac-").expect("the change set");
    let events = stdout.find("CREATE_IN_PROGRESS").expect("the events");
    assert!(table < events, "{stdout}");
    for resource in [
        "FunctionRole",
        "EchoFunction",
        "OutboxDispatcher",
        "DeadLetterQueue",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("Add") && l.contains(resource)),
            "{resource} missing from the change set:\n{stdout}"
        );
    }
    assert!(
        stdout.contains("4 changes: 4 to add, 0 to modify (0 replaced), 0 to remove"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("stack {stack}: CREATE_COMPLETE")),
        "{stdout}"
    );
    assert_eq!(stack_status(&stack), "CREATE_COMPLETE");
    // The bucket holds the two zips (moto's Lambda read them to create the
    // functions) and the template.
    let stored = keys(&bucket);
    for key in code_keys(&dir) {
        assert!(stored.contains(&key), "{stored:?}");
    }
    assert_eq!(
        stored
            .iter()
            .filter(|k| k.starts_with("templates/echo/"))
            .count(),
        1,
        "{stored:?}"
    );

    let second = deploy(&dir, &stack, &bucket, &["--template", &template, "--yes"]);
    let (stdout, stderr) = text(&second);
    assert_eq!(second.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("no changes: stack {stack} is up to date")),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("already there").count(),
        2,
        "nothing uploaded again:\n{stdout}"
    );
    assert!(!stdout.contains("change set sagac-"), "{stdout}");
    assert_eq!(stack_status(&stack), "CREATE_COMPLETE");
}

#[test]
fn no_execute_shows_the_generated_templates_change_set_and_leaves_it() {
    let dir = packaged("deploy-no-execute");
    let bucket = bucket();
    let stack = unique("echo-review");

    // The template the spec compiles to needs an alarm topic: named before
    // any zip is uploaded.
    let refused = deploy(&dir, &stack, &bucket, &["--no-execute"]);
    let (stdout, stderr) = text(&refused);
    assert_eq!(refused.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("the template needs AlarmTopicArn"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--parameter AlarmTopicArn=VALUE"),
        "{stderr}"
    );
    assert!(
        keys(&bucket).iter().all(|k| k.starts_with("templates/")),
        "uploaded before the parameters were known: {:?}",
        keys(&bucket)
    );

    let topic = "AlarmTopicArn=arn:aws:sns:us-east-1:123456789012:echo-alarms";
    let shown = deploy(
        &dir,
        &stack,
        &bucket,
        &["--no-execute", "--parameter", topic],
    );
    let (stdout, stderr) = text(&shown);
    assert_eq!(shown.status.code(), Some(0), "{stdout}\n{stderr}");
    for (resource, kind) in [
        ("SagaTable", "AWS::DynamoDB::Table"),
        ("EchoFunction", "AWS::Lambda::Function"),
        ("EchoAlias", "AWS::Lambda::Alias"),
        ("EchoDeploymentGroup", "AWS::CodeDeploy::DeploymentGroup"),
        ("OutboxDispatcher", "AWS::Lambda::Function"),
        ("StateMachine", "AWS::StepFunctions::StateMachine"),
    ] {
        assert!(
            stdout.lines().any(|l| l.starts_with("Add ")
                && l.contains(&format!(" {resource} "))
                && l.contains(kind)),
            "{resource} missing:\n{stdout}"
        );
    }
    assert!(stdout.contains("not executed (--no-execute)"), "{stdout}");
    assert!(!stdout.contains("CREATE_IN_PROGRESS"), "{stdout}");
    let id = stdout
        .lines()
        .find_map(|l| l.split("left for review: ").nth(1))
        .expect("the change set's id")
        .to_owned();
    assert_eq!(stack_status(&stack), "REVIEW_IN_PROGRESS");
    let (status, execution) = block_on(async {
        let cfn = aws_sdk_cloudformation::Client::new(&sdk().await);
        let cs = cfn
            .describe_change_set()
            .change_set_name(&id)
            .send()
            .await
            .unwrap();
        (
            cs.status().unwrap().as_str().to_owned(),
            cs.execution_status().unwrap().as_str().to_owned(),
        )
    });
    assert_eq!(
        (status.as_str(), execution.as_str()),
        ("CREATE_COMPLETE", "AVAILABLE")
    );
}

#[test]
fn a_broken_template_fails_with_the_reason() {
    let dir = packaged("deploy-broken");
    let bucket = bucket();
    let stack = unique("echo-broken");
    let template = fixture_template("broken.yaml");
    let output = deploy(&dir, &stack, &bucket, &["--template", &template, "--yes"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("Add     SecondRole"), "{stdout}");
    assert!(
        stderr.contains("EntityAlreadyExists: Role with name echo-role-test already exists"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("on {stack} failed")), "{stderr}");
}

#[test]
fn declining_at_the_prompt_executes_nothing() {
    let dir = packaged("deploy-declined");
    let bucket = bucket();
    let stack = unique("echo-declined");
    let template = fixture_template("stack.yaml");
    let output = deploy_with_input(
        &dir,
        &stack,
        &bucket,
        &["--template", &template],
        Some("n\n"),
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("execute this change set on {stack}? [y/N]")),
        "{stderr}"
    );
    assert!(
        stderr.contains("not executed (--yes executes without asking)"),
        "{stderr}"
    );
    assert_eq!(stack_status(&stack), "REVIEW_IN_PROGRESS");
}

#[test]
fn a_stale_or_missing_package_is_refused_before_any_call() {
    let dir = packaged("deploy-stale");
    // The echo zip replaced by the dispatcher's: the key no longer names it.
    std::fs::copy(
        dir.join("outbox-dispatcher/bootstrap.zip"),
        dir.join("echo/bootstrap.zip"),
    )
    .unwrap();
    // No AWS endpoint is needed to refuse it: point the SDK nowhere.
    let output = deploy(&dir, "echo-stale", "no-bucket", &[]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("echo/bootstrap.zip no longer holds the bootstrap of echo/"),
        "{stderr}"
    );
    assert!(stderr.contains("run `sagac package"), "{stderr}");

    let empty = scratch("deploy-empty");
    let output = deploy(&empty, "echo-stale", "no-bucket", &[]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no package of Echo in"), "{stderr}");

    // Packages for another architecture than the spec's functions run on.
    let x86 = scratch("deploy-x86");
    let manifest = support::fixture().join("Cargo.toml");
    let made = support::sagac(&[
        "package",
        spec().to_str().unwrap(),
        "--arch",
        "x86_64",
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--out",
        x86.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    let (_, stderr) = text(&made);
    assert_eq!(made.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: the spec's functions run on arm64"),
        "{stderr}"
    );
    let output = deploy(&x86, "echo-x86", "no-bucket", &[]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("is not an executable for arm64"),
        "{stderr}"
    );

    let bad = support::sagac(&[
        "deploy",
        spec().to_str().unwrap(),
        "--stack",
        "1-not-a-name",
    ])
    .output()
    .unwrap();
    let (_, stderr) = text(&bad);
    assert_eq!(bad.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("a stack name"), "{stderr}");
}

#[test]
fn package_upload_puts_each_zip_once_under_its_key() {
    // What the generated pipeline's build step runs.
    let out = scratch("package-upload");
    let bucket = bucket();
    let manifest = support::fixture().join("Cargo.toml");
    let upload = || {
        let output = sagac_on_moto(&[
            "package",
            spec().to_str().unwrap(),
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--locked",
            "--out",
            out.to_str().unwrap(),
            "--upload",
            &bucket,
        ])
        .output()
        .unwrap();
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
        stdout
    };
    let first = upload();
    assert_eq!(first.matches("uploaded (").count(), 2, "{first}");
    assert_eq!(keys(&bucket), code_keys(&out));
    let second = upload();
    assert_eq!(second.matches("already there").count(), 2, "{second}");

    let missing = sagac_on_moto(&[
        "package",
        spec().to_str().unwrap(),
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--upload",
        "no-such-bucket-here",
    ])
    .output()
    .unwrap();
    let (_, stderr) = text(&missing);
    assert_eq!(missing.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the artifact bucket `no-such-bucket-here` does not exist"),
        "{stderr}"
    );
}
