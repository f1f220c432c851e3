//! `sagac deploy`: a packaged saga onto its CloudFormation stack, the way a
//! careful person would do it by hand, in one command.
//!
//! 1. The packages `sagac package` wrote are checked against the spec
//!    (`package::load`), then uploaded to the artifact bucket under their
//!    content-addressed keys, skipping those already there; so is the
//!    template (CloudFormation reads templates over 51,200 bytes only from
//!    S3, and one path for every size is one path tested).
//! 2. The parameters: the code keys from the package, `--env`, `--bucket`,
//!    `--parameter`; any other declared parameter keeps the stack's value or
//!    the template's default (`report::parameters`), and a missing one is
//!    named before anything is created.
//! 3. A change set (create or update), shown as a table of resource
//!    changes with replacements before anything happens; "no changes" ends
//!    here with success, `--no-execute` too, and without `--yes` a person
//!    confirms.
//! 4. The execution, followed through the stack events until the stack
//!    settles (a live status line on a terminal), then the outputs, or each
//!    failed resource with its reason and exit 1.
//!
//! Everything talks to AWS through the SDK's standard configuration chain
//! (`aws::config`), so `AWS_PROFILE`, `AWS_REGION` and `AWS_ENDPOINT_URL*`
//! mean what they mean to every AWS tool.

mod report;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::primitives::DateTimeFormat;
use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, Parameter, Stack, StackEvent,
};
use clap::Args;
use sagac_core::emit::cfn::{self, params};
use sagac_core::ir::Saga;
use sha2::{Digest, Sha256};

use crate::aws::{self, explain};
use crate::build::say;
use crate::package::{self, Error};
use report::{Change, Declared, Event, Settled, Value};

/// The arguments of `sagac deploy`.
#[derive(Args, Debug)]
pub struct DeployArgs {
    /// The saga spec (its package must exist: `sagac package SPEC`).
    pub spec: PathBuf,
    /// The CloudFormation stack to create or update.
    #[arg(long, value_parser = stack_name)]
    pub stack: String,
    /// The stack's `EnvironmentName` [default: the stack's current value,
    /// else the template's default].
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// The artifact bucket (the stack's `ArtifactBucket`) [default: the
    /// stack's current value].
    #[arg(long, value_name = "BUCKET")]
    pub bucket: Option<String>,
    /// Any other template parameter (repeatable).
    #[arg(long = "parameter", value_name = "NAME=VALUE", value_parser = name_value)]
    pub parameters: Vec<(String, String)>,
    /// Show the change set and stop; it is left for review.
    #[arg(long)]
    pub no_execute: bool,
    /// Execute the change set without asking.
    #[arg(long)]
    pub yes: bool,
    /// Deploy this template instead of the one the spec compiles to.
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    /// Where `sagac package` wrote the packages [default: the cargo target
    /// directory's `lambda/`].
    #[arg(long, value_name = "DIR")]
    pub package_dir: Option<PathBuf>,
    /// The project's Cargo.toml, to find its target directory.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
}

/// CloudFormation's stack name rule.
fn stack_name(text: &str) -> Result<String, String> {
    let mut chars = text.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
        && text.len() <= 128;
    if ok {
        Ok(text.to_owned())
    } else {
        Err("a stack name: a letter, then letters, digits and `-`, at most 128 characters".into())
    }
}

fn name_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err("NAME=VALUE".into()),
    }
}

/// Runs `sagac deploy`.
pub fn run(args: &DeployArgs) -> ExitCode {
    let saga = match crate::build::compile(&args.spec) {
        Ok(saga) => saga,
        Err(code) => return code,
    };
    match aws::block_on(deploy(args, &saga)).and_then(|r| r) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(),
    }
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The URL CloudFormation reads a template from.
fn template_url(bucket: &str, region: &str, key: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://{bucket}.s3.{region}.{suffix}/{key}")
}

async fn deploy(args: &DeployArgs, saga: &Saga) -> Result<(), Error> {
    let dir = match &args.package_dir {
        Some(dir) => dir.clone(),
        None => package::default_out(args.manifest_path.as_deref())?,
    };
    let packaged = package::load(&dir, saga, &args.spec)?;
    let template = match &args.template {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Error::Usage(format!("cannot read `{}`: {e}", path.display())))?,
        None => cfn::emit(saga)
            .into_iter()
            .next()
            .map(|f| f.contents)
            .unwrap_or_default(),
    };

    let config = aws::config().await?;
    let region = config.region().map(|r| r.to_string()).unwrap_or_default();
    if region != saga.deployment.region {
        return Err(Error::Usage(format!(
            "{} deploys to {} (deployment.region), but the AWS configuration's region is {region} (AWS_REGION, or the profile's region)",
            args.spec.display(),
            saga.deployment.region
        )));
    }
    let cloudformation = Client::new(&config);
    let s3 = aws::s3(&config);

    let stack = describe_stack(&cloudformation, &args.stack).await?;
    let status = stack
        .as_ref()
        .and_then(|s| s.stack_status())
        .map(|s| s.as_str().to_owned());
    let reviewing = status.as_deref() == Some("REVIEW_IN_PROGRESS");
    if let Some(status) = &status {
        if status == "ROLLBACK_COMPLETE" {
            return Err(Error::Failed(format!(
                "stack {} is in ROLLBACK_COMPLETE: its creation failed and it cannot be updated; delete it (`aws cloudformation delete-stack --stack-name {}`) and deploy again",
                args.stack, args.stack
            )));
        }
        if status.ends_with("_IN_PROGRESS") && !reviewing {
            return Err(Error::Failed(format!(
                "stack {} is busy ({status}): wait until it settles",
                args.stack
            )));
        }
    }
    let current: BTreeMap<String, String> = match (&stack, reviewing) {
        (Some(stack), false) => stack
            .parameters()
            .iter()
            .filter_map(|p| {
                Some((
                    p.parameter_key()?.to_owned(),
                    p.parameter_value().unwrap_or_default().to_owned(),
                ))
            })
            .collect(),
        _ => BTreeMap::new(),
    };
    let bucket = match args
        .bucket
        .clone()
        .or_else(|| current.get(params::ARTIFACT_BUCKET).cloned())
    {
        Some(bucket) => bucket,
        None => {
            return Err(Error::Usage(format!(
                "--bucket is needed: the stack {} has no {} yet",
                args.stack,
                params::ARTIFACT_BUCKET
            )));
        }
    };
    say(&format!(
        "stack {} in {region}: {}\n",
        args.stack,
        match &status {
            Some(s) if !reviewing => s.clone(),
            _ => "new".to_owned(),
        }
    ));

    // The template first: its parameters decide whether the deployment can
    // go ahead, before any zip is uploaded.
    aws::check_bucket(&s3, &bucket).await?;
    let key = format!(
        "templates/{}/{}.yaml",
        saga.kebab,
        sha256(template.as_bytes())
    );
    aws::put_once(
        &s3,
        &bucket,
        &key,
        template.into_bytes(),
        "application/x-yaml",
    )
    .await?;
    let url = template_url(&bucket, &region, &key);

    let summary = cloudformation
        .get_template_summary()
        .template_url(&url)
        .send()
        .await
        .map_err(|e| {
            Error::Failed(format!(
                "CloudFormation cannot read the template ({url}): {}",
                explain(&e)
            ))
        })?;
    let declared: Vec<Declared> = summary
        .parameters()
        .iter()
        .filter_map(|p| {
            Some(Declared {
                name: p.parameter_key()?.to_owned(),
                has_default: p.default_value().is_some(),
            })
        })
        .collect();
    let mut given: Vec<(String, String, &'static str)> = packaged
        .iter()
        .map(|p| (p.artifact.parameter.clone(), p.key.clone(), "the package"))
        .collect();
    if declared.iter().any(|d| d.name == params::ARTIFACT_BUCKET) {
        given.push((params::ARTIFACT_BUCKET.into(), bucket.clone(), "--bucket"));
    }
    if let Some(env) = &args.env {
        given.push((params::ENVIRONMENT.into(), env.clone(), "--env"));
    }
    for (name, value) in &args.parameters {
        given.push((name.clone(), value.clone(), "--parameter"));
    }
    let previous: BTreeSet<String> = current.keys().cloned().collect();
    let values = report::parameters(&declared, &given, stack.is_some().then_some(&previous))
        .map_err(|why| Error::Usage(format!("cannot deploy {}: {why}", args.stack)))?;
    aws::upload(&s3, &bucket, &packaged).await?;

    let create = stack.is_none() || reviewing;
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let name = format!("sagac-{seconds}");
    let mut request = cloudformation
        .create_change_set()
        .stack_name(&args.stack)
        .change_set_name(&name)
        .template_url(&url)
        .change_set_type(if create {
            ChangeSetType::Create
        } else {
            ChangeSetType::Update
        })
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .description(format!("sagac deploy of {}", saga.name));
    for (key, value) in values {
        let parameter = Parameter::builder().parameter_key(key);
        request = request.parameters(match value {
            Value::Given(v) => parameter.parameter_value(v).build(),
            Value::Previous => parameter.use_previous_value(true).build(),
        });
    }
    let created = match request.send().await {
        Ok(created) => created,
        Err(e) => {
            let why = explain(&e);
            if report::means_no_changes(&why) {
                say(&format!("no changes: stack {} is up to date\n", args.stack));
                return Ok(());
            }
            return Err(Error::Failed(format!(
                "CloudFormation refused the change set for {}: {why}",
                args.stack
            )));
        }
    };
    let id = created.id().unwrap_or(&name).to_owned();
    let stack_id = created.stack_id().unwrap_or(&args.stack).to_owned();

    let changes = match wait_for(&cloudformation, &id).await? {
        Ok(changes) => changes,
        Err(reason) if report::means_no_changes(&reason) => {
            // An empty change set cannot be executed; it only clutters the
            // stack's list.
            let _ = cloudformation
                .delete_change_set()
                .change_set_name(&id)
                .send()
                .await;
            say(&format!("no changes: stack {} is up to date\n", args.stack));
            return Ok(());
        }
        Err(reason) => {
            return Err(Error::Failed(format!(
                "the change set for {} failed: {reason}",
                args.stack
            )));
        }
    };
    say(&format!(
        "change set {name} ({}):\n{}",
        if create { "create" } else { "update" },
        report::changes(&changes)
    ));
    if args.no_execute {
        say(&format!(
            "not executed (--no-execute); the change set is left for review: {id}\n"
        ));
        return Ok(());
    }
    if !args.yes && !confirm(&args.stack)? {
        return Err(Error::Failed(format!(
            "not executed (--yes executes without asking); the change set is left for review: {id}"
        )));
    }

    let marker = newest_event(&cloudformation, &stack_id).await?;
    if let Err(e) = cloudformation
        .execute_change_set()
        .change_set_name(&id)
        .send()
        .await
    {
        let why = explain(&e);
        let events = events_since(&cloudformation, &stack_id, marker.as_deref())
            .await
            .unwrap_or_default();
        print_events(&events);
        let events: Vec<Event> = events.into_iter().map(|(_, e)| e).collect();
        let failed = report::failures(&events);
        if !failed.is_empty() {
            say(&format!("failed resources:\n{failed}"));
        }
        return Err(Error::Failed(format!(
            "executing change set {name} on {} failed: {why}",
            args.stack
        )));
    }
    let (status, reason, events) =
        follow(&cloudformation, &stack_id, marker, changes.len()).await?;
    match report::settled(&status) {
        Settled::Succeeded => {
            let stack = describe_stack(&cloudformation, &stack_id).await?;
            let outputs: Vec<(String, String, Option<String>)> = stack
                .iter()
                .flat_map(|s| s.outputs())
                .map(|o| {
                    (
                        o.output_key().unwrap_or_default().to_owned(),
                        o.output_value().unwrap_or_default().to_owned(),
                        o.description().map(str::to_owned),
                    )
                })
                .collect();
            say(&format!(
                "stack {}: {status}\n{}",
                args.stack,
                report::outputs(&outputs)
            ));
            Ok(())
        }
        Settled::Failed | Settled::No => {
            let failed = report::failures(&events);
            if !failed.is_empty() {
                say(&format!("failed resources:\n{failed}"));
            }
            Err(Error::Failed(format!(
                "stack {} ended in {status}{}",
                args.stack,
                reason.map(|r| format!(": {r}")).unwrap_or_default()
            )))
        }
    }
}

/// The stack, or `None` when there is no such stack.
async fn describe_stack(cloudformation: &Client, name: &str) -> Result<Option<Stack>, Error> {
    match cloudformation
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
    {
        Ok(out) => Ok(out.stacks().first().cloned()),
        Err(e) => {
            let why = explain(&e);
            if why.contains("does not exist") {
                Ok(None)
            } else {
                Err(Error::Failed(format!(
                    "cannot describe stack {name}: {why}"
                )))
            }
        }
    }
}

/// Waits until the change set is created: its resource changes, or why it
/// failed.
async fn wait_for(cloudformation: &Client, id: &str) -> Result<Result<Vec<Change>, String>, Error> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let mut changes = Vec::new();
        let mut token: Option<String> = None;
        let status = loop {
            let page = cloudformation
                .describe_change_set()
                .change_set_name(id)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    Error::Failed(format!("cannot describe change set {id}: {}", explain(&e)))
                })?;
            for change in page.changes() {
                if let Some(r) = change.resource_change() {
                    changes.push(Change {
                        action: r
                            .action()
                            .map(|a| a.as_str().to_owned())
                            .unwrap_or_default(),
                        logical_id: r.logical_resource_id().unwrap_or_default().to_owned(),
                        resource_type: r.resource_type().unwrap_or_default().to_owned(),
                        replacement: r.replacement().map(|x| x.as_str().to_owned()),
                    });
                }
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break (
                    page.status().cloned(),
                    page.status_reason().map(str::to_owned),
                );
            }
        };
        match status {
            (Some(ChangeSetStatus::CreateComplete), _) => return Ok(Ok(changes)),
            (Some(ChangeSetStatus::Failed), reason) => {
                return Ok(Err(reason.unwrap_or_else(|| "no reason given".into())));
            }
            (other, _) if Instant::now() > deadline => {
                return Err(Error::Failed(format!(
                    "change set {id} is still {} after 10 minutes",
                    other.map(|s| s.as_str().to_owned()).unwrap_or_default()
                )));
            }
            _ => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
}

fn confirm(stack: &str) -> Result<bool, Error> {
    eprint!("execute this change set on {stack}? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::Usage(format!("cannot read the answer: {e}")))?;
    if !std::io::stdin().is_terminal() {
        // The answer came from a pipe and was not echoed: end the line.
        eprintln!("{}", answer.trim());
    }
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}

fn event(e: &StackEvent) -> Event {
    let time = e
        .timestamp()
        .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
        .and_then(|t| t.get(11..19).map(str::to_owned))
        .unwrap_or_default();
    Event {
        time,
        logical_id: e.logical_resource_id().unwrap_or_default().to_owned(),
        resource_type: e.resource_type().unwrap_or_default().to_owned(),
        status: e
            .resource_status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        reason: e.resource_status_reason().map(str::to_owned),
    }
}

/// The id of the stack's newest event, where following starts.
async fn newest_event(cloudformation: &Client, stack: &str) -> Result<Option<String>, Error> {
    let page = cloudformation
        .describe_stack_events()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| {
            Error::Failed(format!(
                "cannot read the events of {stack}: {}",
                explain(&e)
            ))
        })?;
    Ok(page
        .stack_events()
        .first()
        .and_then(|e| e.event_id())
        .map(str::to_owned))
}

/// The events after `marker`, oldest first.
async fn events_since(
    cloudformation: &Client,
    stack: &str,
    marker: Option<&str>,
) -> Result<Vec<(String, Event)>, Error> {
    let mut newest_first = Vec::new();
    let mut token = None;
    'pages: for _ in 0..100 {
        let page = cloudformation
            .describe_stack_events()
            .stack_name(stack)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| {
                Error::Failed(format!(
                    "cannot read the events of {stack}: {}",
                    explain(&e)
                ))
            })?;
        for e in page.stack_events() {
            let id = e.event_id().unwrap_or_default();
            if Some(id) == marker {
                break 'pages;
            }
            newest_first.push((id.to_owned(), event(e)));
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    newest_first.reverse();
    Ok(newest_first)
}

fn print_events(events: &[(String, Event)]) {
    let mut text = String::new();
    for (_, e) in events {
        text.push_str(&e.line());
        text.push('\n');
    }
    say(&text);
}

/// Follows the stack's events until its status settles: the final status,
/// its reason, and every event of the deployment.
async fn follow(
    cloudformation: &Client,
    stack: &str,
    mut marker: Option<String>,
    total: usize,
) -> Result<(String, Option<String>, Vec<Event>), Error> {
    let live = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut progress = report::Progress::default();
    let mut all = Vec::new();
    loop {
        // The status first: the events read after it include every event up
        // to a final status.
        let described = describe_stack(cloudformation, stack).await?;
        let (status, reason) = described
            .as_ref()
            .map(|s| {
                (
                    s.stack_status()
                        .map(|x| x.as_str().to_owned())
                        .unwrap_or_default(),
                    s.stack_status_reason().map(str::to_owned),
                )
            })
            .unwrap_or_else(|| {
                (
                    "DELETE_COMPLETE".to_owned(),
                    Some("the stack is gone".to_owned()),
                )
            });
        let events = events_since(cloudformation, stack, marker.as_deref()).await?;
        if live {
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
        }
        print_events(&events);
        let _ = std::io::stdout().flush();
        if let Some((id, _)) = events.last() {
            marker = Some(id.clone());
        }
        for (_, e) in events {
            progress.record(&e);
            all.push(e);
        }
        if report::settled(&status) != Settled::No {
            return Ok((status, reason, all));
        }
        if live {
            eprint!(
                "{}",
                progress.line(&status, total, started.elapsed().as_secs())
            );
            let _ = std::io::stderr().flush();
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
