//! What `sagac deploy` decides and shows, apart from the calls that feed
//! it: the stack's parameters, the change set as a table, stack events as
//! lines and progress, and which stack statuses end a deployment and how.
//! Plain data in, text or decisions out, so every rule is unit-tested
//! without a CloudFormation endpoint.

use std::collections::{BTreeMap, BTreeSet};

use sagac_executor::render::columns;

/// A parameter the template declares (from `GetTemplateSummary`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// Its name.
    pub name: String,
    /// Whether it has a default.
    pub has_default: bool,
}

/// A parameter value for the change set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// This value.
    Given(String),
    /// The stack's current value (`UsePreviousValue`).
    Previous,
}

/// Where each parameter's value comes from, in this order: what the
/// deployment sets (the code keys of the package, `--env`, `--bucket`,
/// `--parameter`; later ones win), else the stack's current value, else the
/// template's default. A value for a parameter the template does not
/// declare, or a declared parameter with none of these, is an error naming
/// them all.
pub fn parameters(
    declared: &[Declared],
    given: &[(String, String, &'static str)],
    previous: Option<&BTreeSet<String>>,
) -> Result<Vec<(String, Value)>, String> {
    let names: BTreeSet<&str> = declared.iter().map(|d| d.name.as_str()).collect();
    let mut values: BTreeMap<&str, &str> = BTreeMap::new();
    let mut unknown = Vec::new();
    for (name, value, source) in given {
        if names.contains(name.as_str()) {
            values.insert(name, value);
        } else {
            unknown.push(format!("{name} (from {source})"));
        }
    }
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for d in declared {
        if let Some(value) = values.get(d.name.as_str()) {
            out.push((d.name.clone(), Value::Given((*value).to_owned())));
        } else if previous.is_some_and(|p| p.contains(&d.name)) {
            out.push((d.name.clone(), Value::Previous));
        } else if !d.has_default {
            missing.push(d.name.clone());
        }
    }
    let mut problems = Vec::new();
    if !unknown.is_empty() {
        problems.push(format!(
            "the template declares no parameter {}",
            unknown.join(", ")
        ));
    }
    if !missing.is_empty() {
        let hint: Vec<String> = missing
            .iter()
            .map(|m| format!("--parameter {m}=VALUE"))
            .collect();
        problems.push(format!(
            "the template needs {} (no default, and no current value on the stack): pass {}",
            missing.join(", "),
            hint.join(" ")
        ));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems.join("; "))
    }
}

/// One resource change of a change set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `Add`, `Modify`, `Remove`, `Import`, `Dynamic`.
    pub action: String,
    /// The logical id.
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// For a modification: `True`, `False` or `Conditional`.
    pub replacement: Option<String>,
}

/// The change set as a table and a one-line count.
pub fn changes(changes: &[Change]) -> String {
    let mut rows = vec![vec![
        "action".to_owned(),
        "resource".to_owned(),
        "type".to_owned(),
        "replacement".to_owned(),
    ]];
    for c in changes {
        let replacement = match c.replacement.as_deref() {
            Some("True") => "replaced",
            Some("Conditional") => "maybe replaced",
            Some("False") => "in place",
            _ => "",
        };
        rows.push(vec![
            c.action.clone(),
            c.logical_id.clone(),
            c.resource_type.clone(),
            replacement.to_owned(),
        ]);
    }
    let count = |action: &str| changes.iter().filter(|c| c.action == action).count();
    let replaced = changes
        .iter()
        .filter(|c| c.replacement.as_deref() == Some("True"))
        .count();
    let mut text = columns(&rows, &[]);
    text.push_str(&format!(
        "{} change{}: {} to add, {} to modify ({} replaced), {} to remove\n",
        changes.len(),
        if changes.len() == 1 { "" } else { "s" },
        count("Add"),
        count("Modify"),
        replaced,
        count("Remove"),
    ));
    text
}

/// Whether a failed change set failed only because nothing would change
/// (CloudFormation's two wordings).
pub fn means_no_changes(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

/// A stack event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `HH:MM:SS` (UTC).
    pub time: String,
    /// The logical id.
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// The resource status (`CREATE_COMPLETE`).
    pub status: String,
    /// Why, when CloudFormation says.
    pub reason: Option<String>,
}

impl Event {
    /// One line of the live log.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{}  {:<28} {:<40} {}",
            self.time, self.status, self.resource_type, self.logical_id
        );
        if let Some(reason) = self.reason.as_deref().filter(|r| !r.is_empty()) {
            line.push_str(&format!("  ({reason})"));
        }
        line
    }

    fn is_stack(&self) -> bool {
        self.resource_type == "AWS::CloudFormation::Stack"
    }
}

/// The progress of a deployment, from its events.
#[derive(Debug, Default)]
pub struct Progress {
    latest: BTreeMap<String, String>,
}

impl Progress {
    /// Takes an event into account.
    pub fn record(&mut self, event: &Event) {
        if !event.is_stack() {
            self.latest
                .insert(event.logical_id.clone(), event.status.clone());
        }
    }

    /// The resources whose latest status is final.
    pub fn settled(&self) -> usize {
        self.latest
            .values()
            .filter(|s| !s.ends_with("_IN_PROGRESS"))
            .count()
    }

    /// The status line: `UPDATE_IN_PROGRESS  12/79 resources  1m05s`.
    pub fn line(&self, stack_status: &str, total: usize, seconds: u64) -> String {
        format!(
            "{stack_status}  {}/{total} resources  {}m{:02}s",
            self.settled(),
            seconds / 60,
            seconds % 60
        )
    }
}

/// How a stack status ends a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Still going.
    No,
    /// Done as asked.
    Succeeded,
    /// Failed, rolled back or stuck.
    Failed,
}

/// What a stack status means for a deployment that is following it.
pub fn settled(status: &str) -> Settled {
    if status.ends_with("_IN_PROGRESS") {
        Settled::No
    } else if matches!(
        status,
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE"
    ) {
        Settled::Succeeded
    } else {
        Settled::Failed
    }
}

/// The failed resources among `events` (oldest first), with their reasons:
/// the first is usually the cause, the others cancelled because of it.
pub fn failures(events: &[Event]) -> String {
    let failed: Vec<&Event> = events
        .iter()
        .filter(|e| e.status.ends_with("_FAILED") && !e.is_stack())
        .collect();
    let mut text = String::new();
    for (i, e) in failed.iter().enumerate() {
        text.push_str(&format!(
            "  {} ({}) {}: {}{}\n",
            e.logical_id,
            e.resource_type,
            e.status,
            e.reason.as_deref().unwrap_or("no reason given"),
            if i == 0 && failed.len() > 1 {
                "  <- first failure"
            } else {
                ""
            }
        ));
    }
    text
}

/// The stack's outputs as a table.
pub fn outputs(outputs: &[(String, String, Option<String>)]) -> String {
    if outputs.is_empty() {
        return "outputs: none\n".into();
    }
    let rows: Vec<Vec<String>> = outputs
        .iter()
        .map(|(k, v, d)| vec![k.clone(), v.clone(), d.clone().unwrap_or_default()])
        .collect();
    let mut text = "outputs:\n".to_owned();
    for line in columns(&rows, &[]).lines() {
        text.push_str("  ");
        text.push_str(line);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(names: &[(&str, bool)]) -> Vec<Declared> {
        names
            .iter()
            .map(|(n, d)| Declared {
                name: (*n).into(),
                has_default: *d,
            })
            .collect()
    }

    #[test]
    fn parameters_come_from_the_deployment_then_the_stack_then_defaults() {
        let template = declared(&[
            ("EnvironmentName", true),
            ("ArtifactBucket", false),
            ("FlightCodeKey", false),
            ("AlarmTopicArn", false),
        ]);
        let given = vec![
            (
                "FlightCodeKey".to_owned(),
                "flight/ab.zip".to_owned(),
                "the package",
            ),
            ("ArtifactBucket".to_owned(), "code".to_owned(), "--bucket"),
        ];
        // A new stack: AlarmTopicArn has no value anywhere.
        let why = parameters(&template, &given, None).unwrap_err();
        assert!(why.contains("needs AlarmTopicArn"), "{why}");
        assert!(why.contains("--parameter AlarmTopicArn=VALUE"), "{why}");
        // An existing stack keeps its value; the default stays the default.
        let previous: BTreeSet<String> =
            ["AlarmTopicArn".to_owned(), "EnvironmentName".to_owned()].into();
        let values = parameters(&template, &given, Some(&previous)).unwrap();
        assert_eq!(
            values,
            vec![
                ("EnvironmentName".to_owned(), Value::Previous),
                ("ArtifactBucket".to_owned(), Value::Given("code".into())),
                (
                    "FlightCodeKey".to_owned(),
                    Value::Given("flight/ab.zip".into())
                ),
                ("AlarmTopicArn".to_owned(), Value::Previous),
            ]
        );
        // A value the template has no parameter for is refused, named with
        // where it came from.
        let mut extra = given.clone();
        extra.push(("HotelCodeKey".into(), "hotel/cd.zip".into(), "the package"));
        let why = parameters(&template, &extra, Some(&previous)).unwrap_err();
        assert!(
            why.contains("no parameter HotelCodeKey (from the package)"),
            "{why}"
        );
    }

    #[test]
    fn the_change_set_reads_as_a_table_with_replacements() {
        let change = |a: &str, id: &str, t: &str, r: Option<&str>| Change {
            action: a.into(),
            logical_id: id.into(),
            resource_type: t.into(),
            replacement: r.map(Into::into),
        };
        let text = changes(&[
            change("Add", "FlightVersionAb12", "AWS::Lambda::Version", None),
            change("Modify", "FlightAlias", "AWS::Lambda::Alias", Some("False")),
            change("Modify", "ViewTable", "AWS::DynamoDB::Table", Some("True")),
            change("Remove", "FlightVersionCd34", "AWS::Lambda::Version", None),
        ]);
        assert!(
            text.contains("Modify  ViewTable          AWS::DynamoDB::Table  replaced"),
            "{text}"
        );
        assert!(text.contains("in place"), "{text}");
        assert!(
            text.ends_with("4 changes: 1 to add, 2 to modify (1 replaced), 1 to remove\n"),
            "{text}"
        );
    }

    #[test]
    fn statuses_settle_as_cloudformation_means_them() {
        assert_eq!(settled("CREATE_IN_PROGRESS"), Settled::No);
        assert_eq!(settled("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"), Settled::No);
        assert_eq!(settled("UPDATE_ROLLBACK_IN_PROGRESS"), Settled::No);
        assert_eq!(settled("CREATE_COMPLETE"), Settled::Succeeded);
        assert_eq!(settled("UPDATE_COMPLETE"), Settled::Succeeded);
        assert_eq!(settled("ROLLBACK_COMPLETE"), Settled::Failed);
        assert_eq!(settled("UPDATE_ROLLBACK_COMPLETE"), Settled::Failed);
        assert_eq!(settled("UPDATE_FAILED"), Settled::Failed);
        assert!(means_no_changes(
            "The submitted information didn't contain changes. Submit different information to create a change set."
        ));
        assert!(means_no_changes("No updates are to be performed."));
        assert!(!means_no_changes("Template format error"));
    }

    #[test]
    fn failures_name_each_resource_and_its_reason_first_cause_first() {
        let event = |id: &str, t: &str, s: &str, r: Option<&str>| Event {
            time: "12:00:00".into(),
            logical_id: id.into(),
            resource_type: t.into(),
            status: s.into(),
            reason: r.map(Into::into),
        };
        let events = vec![
            event(
                "trip-dev",
                "AWS::CloudFormation::Stack",
                "CREATE_IN_PROGRESS",
                Some("User Initiated"),
            ),
            event(
                "SagaTable",
                "AWS::DynamoDB::Table",
                "CREATE_IN_PROGRESS",
                None,
            ),
            event(
                "FlightRole",
                "AWS::IAM::Role",
                "CREATE_FAILED",
                Some("Role with name x already exists."),
            ),
            event(
                "SagaTable",
                "AWS::DynamoDB::Table",
                "CREATE_FAILED",
                Some("Resource creation cancelled"),
            ),
            event(
                "trip-dev",
                "AWS::CloudFormation::Stack",
                "ROLLBACK_IN_PROGRESS",
                Some("The following resource(s) failed to create: [FlightRole]"),
            ),
            event("SagaTable", "AWS::DynamoDB::Table", "DELETE_COMPLETE", None),
            event(
                "trip-dev",
                "AWS::CloudFormation::Stack",
                "ROLLBACK_COMPLETE",
                None,
            ),
        ];
        let text = failures(&events);
        assert_eq!(
            text,
            "  FlightRole (AWS::IAM::Role) CREATE_FAILED: Role with name x already exists.  <- first failure\n  \
             SagaTable (AWS::DynamoDB::Table) CREATE_FAILED: Resource creation cancelled\n"
        );
        let mut progress = Progress::default();
        for e in &events[..4] {
            progress.record(e);
        }
        assert_eq!(progress.settled(), 2);
        assert_eq!(
            progress.line("CREATE_IN_PROGRESS", 79, 65),
            "CREATE_IN_PROGRESS  2/79 resources  1m05s"
        );
        assert!(
            events[2]
                .line()
                .ends_with("FlightRole  (Role with name x already exists.)")
        );
    }

    #[test]
    fn outputs_are_a_table() {
        assert_eq!(outputs(&[]), "outputs: none\n");
        let text = outputs(&[
            (
                "ApiUrl".into(),
                "https://x".into(),
                Some("Base URL.".into()),
            ),
            ("TableName".into(), "trip-dev".into(), None),
        ]);
        assert_eq!(
            text,
            "outputs:\n  ApiUrl     https://x  Base URL.\n  TableName  trip-dev\n"
        );
    }
}
