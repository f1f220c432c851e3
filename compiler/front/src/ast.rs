//! The spec language as Rust types.
//!
//! These types are the single source of truth for the language: the JSON
//! Schema (`spec/saga.schema.json`) is derived from them with schemars, the
//! structural check runs that schema over the parsed tree, and serde decodes
//! the tree into them. Semantic rules (references, ordering, ranges, AWS
//! naming) live in [`crate::validate`], which turns this AST into the IR.

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use std::borrow::Cow;

/// A saga spec: one orchestrated saga and everything deployed around it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "sagac saga spec", extend("$id" = "https://sagac.dev/schema/saga-v1.json"))]
pub struct Spec {
    /// Version of the spec language; this compiler reads version 1.
    pub sagac: u32,
    /// PascalCase name of the saga; names the state machine and, in kebab
    /// case, the output directory.
    pub name: String,
    /// What the saga does, for people.
    #[serde(default)]
    pub description: Option<String>,
    /// Step Functions workflow type. Express requires every step to be idempotent.
    #[serde(default)]
    pub workflow: Workflow,
    /// Timeout of the whole execution (default: 1h).
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// The aggregate root: its id is the saga id, its status records the outcome.
    pub root: Root,
    /// The DynamoDB single table.
    pub table: Table,
    /// Entities stored in the single table, by PascalCase name.
    pub entities: IndexMap<String, Entity>,
    /// The transactional outbox.
    pub outbox: Outbox,
    /// Domain events, by PascalCase name.
    #[serde(default)]
    pub events: IndexMap<String, Event>,
    /// Services (one Lambda function each), by lowercase name.
    pub services: IndexMap<String, Service>,
    /// Fields of the start request, by snake_case name.
    pub request: IndexMap<String, Field>,
    /// Shared policies that steps inherit.
    #[serde(default)]
    pub defaults: Defaults,
    /// Forward steps, in order; an entry is a step or a parallel group.
    pub steps: Vec<StepEntry>,
    /// CQRS read models, by PascalCase name.
    #[serde(default)]
    pub views: IndexMap<String, View>,
    /// The HTTP API that starts sagas and reads their status.
    #[serde(default)]
    pub api: Option<Api>,
    /// Where and how the stack is deployed.
    pub deployment: Deployment,
    /// Datadog and CloudWatch settings.
    #[serde(default)]
    pub observability: Observability,
}

/// Step Functions workflow type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Workflow {
    /// Exactly-once state transitions, up to one year, billed per transition.
    #[default]
    Standard,
    /// At-least-once, up to five minutes, billed per duration.
    Express,
}

/// The aggregate root of the saga.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Root {
    /// The root entity.
    pub entity: String,
    /// Field of the root entity (and of the request) holding the saga id.
    pub id: String,
    /// Field of the root entity holding the saga status.
    #[serde(default = "default_status_field")]
    pub status: String,
    /// Status when the saga starts.
    #[serde(default = "default_initial")]
    pub initial: String,
    /// Status and event when every step succeeded.
    pub on_success: Outcome,
    /// Status and event when the saga failed and was rolled back.
    pub on_failure: Outcome,
    /// Status and event when a compensation failed (needs people).
    pub on_compensation_failure: Outcome,
    /// Status and event when the pivot's outcome stayed unknown: it kept
    /// failing ambiguously (timeouts, `Lambda.Unknown`, transient errors)
    /// through all of its retries, so it may or may not have committed and
    /// nothing is compensated (needs people). Default: status
    /// `PIVOT_UNKNOWN` with the `on_compensation_failure` event.
    #[serde(default)]
    pub on_pivot_unknown: Option<Outcome>,
    /// Status and event when a retriable step (after the pivot) still failed
    /// after all of its retries: the saga cannot go back and did not finish
    /// (needs people). Default: status `RETRIES_EXHAUSTED` with the
    /// `on_compensation_failure` event.
    #[serde(default)]
    pub on_retries_exhausted: Option<Outcome>,
    /// Event written with the root item when the saga starts (an event of the
    /// root entity). Default: the first event of the root entity that is not
    /// an outcome event, if any.
    #[serde(default)]
    pub on_start: Option<String>,
}

fn default_status_field() -> String {
    "status".into()
}

fn default_initial() -> String {
    "PENDING".into()
}

/// A terminal status of the root and the event that announces it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// Status value, UPPER_SNAKE_CASE.
    pub status: String,
    /// Event written through the outbox with the status change.
    pub event: String,
}

/// The DynamoDB single table.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// Table name.
    pub name: String,
    /// Partition key attribute (default `PK`).
    #[serde(default = "default_pk")]
    pub pk: String,
    /// Sort key attribute (default `SK`).
    #[serde(default = "default_sk")]
    pub sk: String,
    /// Global secondary indexes, by name.
    #[serde(default)]
    pub indexes: IndexMap<String, IndexKeys>,
    /// TTL attribute (epoch seconds).
    #[serde(default)]
    pub ttl: Option<String>,
    /// Stream view type (the outbox and projector need new images).
    #[serde(default)]
    pub stream: StreamView,
}

fn default_pk() -> String {
    "PK".into()
}

fn default_sk() -> String {
    "SK".into()
}

/// Key attributes of a global secondary index.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexKeys {
    /// Partition key attribute.
    pub pk: String,
    /// Sort key attribute.
    #[serde(default)]
    pub sk: Option<String>,
}

/// DynamoDB stream view type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StreamView {
    /// Old and new images (what the projector's version guard wants).
    #[default]
    NewAndOldImages,
    /// New images only.
    NewImage,
}

/// An entity stored in the single table.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    /// Partition key template, e.g. `TRIP#{trip_id}`.
    pub pk: String,
    /// Sort key template, e.g. `FLIGHT#{flight_id}` or `METADATA`.
    pub sk: String,
    /// Index key templates, by table index name.
    #[serde(default)]
    pub indexes: IndexMap<String, KeyTemplates>,
    /// Typed fields, by snake_case name.
    pub fields: IndexMap<String, Field>,
}

/// Key templates of an item in an index.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyTemplates {
    /// Partition key template.
    pub pk: String,
    /// Sort key template.
    #[serde(default)]
    pub sk: Option<String>,
}

/// A field: a type name (`string`, `int`, `decimal`, `bool`, `date`,
/// `timestamp`, with `?` for optional) or a mapping with constraints.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Field {
    /// Just the type, e.g. `string` or `int?`.
    Short(TypeName),
    /// The type with constraints.
    Detailed(FieldDetail),
}

/// A field type name, `?` marking it optional.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct TypeName(pub String);

/// The pattern every field type name matches.
pub const TYPE_NAME_PATTERN: &str = r"^(string|int|decimal|bool|date|timestamp)\??$";

impl JsonSchema for TypeName {
    fn schema_name() -> Cow<'static, str> {
        "TypeName".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A field type: string, int, decimal, bool, date or timestamp; a trailing ? makes the field optional.",
            "pattern": TYPE_NAME_PATTERN,
        })
    }
}

/// A field with constraints.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldDetail {
    /// The type.
    #[serde(rename = "type")]
    pub ty: TypeName,
    /// Whether the field may be absent.
    #[serde(default)]
    pub optional: bool,
    /// Regular expression a string must match.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Smallest number allowed.
    #[serde(default)]
    pub min: Option<f64>,
    /// Largest number allowed.
    #[serde(default)]
    pub max: Option<f64>,
    /// The only values allowed.
    #[serde(default, rename = "enum")]
    pub one_of: Option<Vec<String>>,
    /// Longest string allowed, in characters (Unicode code points, as JSON
    /// Schema's `maxLength` counts them). The compiler derives a bound from
    /// the DynamoDB and Step Functions limits the field meets; this can only
    /// tighten it.
    #[serde(default)]
    pub max_length: Option<u32>,
    /// Longest string allowed, in UTF-8 bytes (what DynamoDB counts). The API
    /// checks characters, so this becomes a character bound that is safe in
    /// bytes (a quarter of it, unless `pattern` confines the value to ASCII).
    #[serde(default)]
    pub max_bytes: Option<u32>,
    /// An example value, checked against the field's type and constraints.
    /// The request's examples make the sample request (`sample-input.json`,
    /// the API schema's example, the mock configuration's inputs); entity
    /// fields' examples appear in the sample step outputs. Fields without one
    /// get a value derived from their name, type and constraints.
    #[serde(default)]
    pub example: Option<Example>,
    /// What the field means.
    #[serde(default)]
    pub description: Option<String>,
}

/// An example value of a field: a string, a number or a boolean.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct Example(pub serde_json::Value);

impl JsonSchema for Example {
    fn schema_name() -> Cow<'static, str> {
        "Example".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["string", "number", "boolean"],
            "description": "An example value of the field: a string, a number or a boolean, valid for the field's type and constraints.",
        })
    }
}

/// The transactional outbox.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Outbox {
    /// Sort key template of outbox items, under the root's partition.
    #[serde(default = "default_outbox_sk")]
    pub sk: String,
    /// How long outbox items live before TTL removes them (default 7d).
    #[serde(default)]
    pub ttl: Option<Duration>,
    /// EventBridge bus the dispatcher publishes to.
    pub bus: String,
    /// EventBridge `Source` of the events.
    pub source: String,
}

fn default_outbox_sk() -> String {
    "OUTBOX#{event_id}".into()
}

/// A domain event.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// The entity whose state the event carries.
    pub entity: String,
    /// Which of the entity's fields the event carries (default: all).
    #[serde(default)]
    pub fields: Option<Vec<String>>,
    /// Whether the event needs a human (it also raises an alarm).
    #[serde(default)]
    pub alert: bool,
    /// What the event means.
    #[serde(default)]
    pub description: Option<String>,
}

/// A service: one Lambda function with its settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// What the service does.
    #[serde(default)]
    pub description: Option<String>,
    /// Memory in MB (default 256).
    #[serde(default)]
    pub memory: Option<u32>,
    /// Function timeout (default 10s).
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// Reserved concurrency.
    #[serde(default)]
    pub reserved_concurrency: Option<u32>,
    /// Extra layer ARNs (the Datadog extension is added by `observability`).
    #[serde(default)]
    pub layers: Vec<String>,
    /// Extra environment variables.
    #[serde(default)]
    pub environment: IndexMap<String, String>,
}

/// Policies steps inherit when they do not set their own.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Task timeout.
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// Retry policy of forward steps.
    #[serde(default)]
    pub retry: Option<Retry>,
    /// Retry policy of compensations.
    #[serde(default)]
    pub compensation_retry: Option<Retry>,
}

/// A retry policy for transient errors. The runtime's `TransientError` and
/// Lambda's own service errors are always retried too.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// Further error names to retry (the runtime's `TransientError` is
    /// always retried).
    #[serde(default)]
    pub errors: Vec<String>,
    /// Retries after the first attempt.
    pub attempts: u32,
    /// Wait before the first retry.
    pub interval: Duration,
    /// Multiplier of the wait per retry.
    #[serde(default)]
    pub backoff: Option<f64>,
    /// Longest wait between retries.
    #[serde(default)]
    pub max_delay: Option<Duration>,
    /// Random jitter of the waits.
    #[serde(default)]
    pub jitter: Jitter,
}

/// Retry jitter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    /// Full jitter (recommended: spreads retries of many executions).
    #[default]
    Full,
    /// No jitter.
    None,
}

/// An entry of `steps:`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
// Parallel groups are rare and few; boxing the common variant would only
// add indirection to every step.
#[allow(clippy::large_enum_variant)]
pub enum StepEntry {
    /// Steps that run concurrently.
    Parallel(ParallelEntry),
    /// One step.
    Step(Step),
}

/// Wrapper of a parallel group in `steps:`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParallelEntry {
    /// The group.
    pub parallel: Parallel,
}

/// Compensatable steps that run concurrently; when one fails, exactly the
/// branches that completed are compensated.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Parallel {
    /// PascalCase name of the group (a state name).
    pub name: String,
    /// One step per branch.
    pub branches: Vec<Step>,
}

/// A forward step of the saga.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// PascalCase name (a state name).
    pub name: String,
    /// The service that runs it.
    pub service: String,
    /// snake_case action (a method of the service's trait).
    pub action: String,
    /// Compensatable, pivot or retriable.
    #[serde(default)]
    pub kind: StepKind,
    /// The entity the step writes; its result type.
    #[serde(default)]
    pub writes: Option<String>,
    /// The event the step emits through the outbox.
    #[serde(default)]
    pub emits: Option<String>,
    /// Business errors the action may raise (never retried; they trigger compensation).
    #[serde(default)]
    pub errors: Vec<String>,
    /// What the step receives, and nothing else: request fields (snake_case)
    /// and earlier steps (PascalCase), whose outputs it gets typed. The saga
    /// id and the root's partition key fields are always received. The
    /// compensation receives the same, and its step's output. Default: the
    /// whole request and the outputs of every step completed before it.
    #[serde(default)]
    pub input: Option<Vec<String>>,
    /// Retry policy for transient errors (default: `defaults.retry`).
    #[serde(default)]
    pub retry: Option<Retry>,
    /// Task timeout (default: `defaults.timeout`).
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// Whether running the step twice has the effect of running it once.
    #[serde(default = "yes")]
    pub idempotent: bool,
    /// How the step is undone.
    #[serde(default)]
    pub compensation: Option<Compensation>,
}

fn yes() -> bool {
    true
}

/// The kind of a step (Garcia-Molina).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Can be undone by its compensation.
    #[default]
    Compensatable,
    /// The go/no-go point; cannot be undone, at most one.
    Pivot,
    /// Cannot fail for business reasons; retried until it succeeds.
    Retriable,
}

/// How a step is undone.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Compensation {
    /// PascalCase state name (default: `Compensate` + the step name).
    #[serde(default)]
    pub name: Option<String>,
    /// snake_case action of the same service.
    pub action: String,
    /// The event the compensation emits.
    #[serde(default)]
    pub emits: Option<String>,
    /// Retry policy (default: `defaults.compensation_retry`).
    #[serde(default)]
    pub retry: Option<Retry>,
    /// Task timeout (default: the step's).
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// Whether running it twice has the effect of running it once.
    #[serde(default = "yes")]
    pub idempotent: bool,
}

/// A CQRS read model kept by the projector.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct View {
    /// View table name.
    pub table: String,
    /// The entity projected.
    pub source: String,
    /// Partition key template.
    pub pk: String,
    /// Sort key template.
    #[serde(default)]
    pub sk: Option<String>,
    /// Fields of the source entity the view keeps.
    pub fields: Vec<String>,
    /// Query indexes of the view, by name.
    #[serde(default)]
    pub indexes: IndexMap<String, KeyTemplates>,
}

/// The HTTP API (API Gateway REST).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Api {
    /// API name.
    pub name: String,
    /// Authorisation: `iam` by default; `none` only when chosen explicitly.
    #[serde(default)]
    pub auth: Auth,
    /// Authoriser settings for `cognito`.
    #[serde(default)]
    pub authorizer: Option<Authorizer>,
    /// Stage throttling.
    #[serde(default)]
    pub throttle: Option<Throttle>,
    /// `POST` route that starts a saga.
    pub start: Route,
    /// `GET` route that reads a saga's status from a view.
    #[serde(default)]
    pub status: Option<StatusRoute>,
}

/// API authorisation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    /// AWS IAM (SigV4).
    #[default]
    Iam,
    /// A Cognito user pool authoriser.
    Cognito,
    /// JWT authoriser (HTTP APIs only; refused for REST).
    Jwt,
    /// No authorisation (explicit opt-in).
    None,
}

/// Authoriser settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Authorizer {
    /// Cognito user pool ARN.
    #[serde(default)]
    pub user_pool_arn: Option<String>,
}

/// API throttling.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Throttle {
    /// Steady requests per second.
    pub rate: f64,
    /// Burst size.
    pub burst: u32,
}

/// A route.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Resource path, e.g. `/trips`.
    pub path: String,
}

/// The status route.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRoute {
    /// Resource path with the id as a path parameter, e.g. `/trips/{trip_id}`.
    pub path: String,
    /// The view read.
    pub view: String,
    /// The view index queried by the id (default: the view's primary key).
    #[serde(default)]
    pub index: Option<String>,
}

/// Deployment settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// AWS region.
    pub region: String,
    /// Lambda architecture.
    #[serde(default)]
    pub architecture: Architecture,
    /// Alias the state machine invokes.
    #[serde(default)]
    pub alias: Option<String>,
    /// Canary traffic shifting: `percent` first, the rest after `interval`.
    #[serde(default)]
    pub canary: Option<TrafficShift>,
    /// Linear traffic shifting: `percent` more every `interval`.
    #[serde(default)]
    pub linear: Option<TrafficShift>,
    /// Shift all traffic at once.
    #[serde(default)]
    pub all_at_once: bool,
    /// CloudWatch alarms each deployment group watches (per function).
    #[serde(default)]
    pub alarms: Vec<Alarm>,
    /// CodeDeploy lifecycle hook functions.
    #[serde(default)]
    pub hooks: Hooks,
    /// The delivery pipeline.
    #[serde(default)]
    pub pipeline: Option<Pipeline>,
}

/// Lambda architecture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Architecture {
    /// Graviton.
    #[default]
    Arm64,
    /// x86-64.
    X86_64,
}

/// A traffic shift.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrafficShift {
    /// Percent of traffic per shift.
    pub percent: u32,
    /// Time between shifts (whole minutes).
    pub interval: Duration,
}

/// An alarm on a Lambda metric of the function being deployed.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Alarm {
    /// AWS/Lambda metric.
    pub metric: LambdaMetric,
    /// Alarm when the statistic reaches this value.
    pub threshold: f64,
    /// Statistic period (default 1m).
    #[serde(default)]
    pub period: Option<Duration>,
    /// Periods to evaluate (default 1).
    #[serde(default)]
    pub evaluation_periods: Option<u32>,
}

/// AWS/Lambda metrics an alarm can watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum LambdaMetric {
    /// Invocation errors.
    Errors,
    /// Throttled invocations.
    Throttles,
    /// Duration (p99 milliseconds).
    Duration,
    /// Concurrent executions.
    ConcurrentExecutions,
}

/// CodeDeploy lifecycle hooks.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hooks {
    /// Run a `CodeDeployHook_*` function before traffic shifts.
    #[serde(default)]
    pub before_traffic: bool,
    /// Run a `CodeDeployHook_*` function after traffic shifted.
    #[serde(default)]
    pub after_traffic: bool,
}

/// The delivery pipeline's source.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    /// `owner/name` of the repository (through a CodeStar connection).
    pub repository: String,
    /// Branch that deploys.
    #[serde(default = "default_branch")]
    pub branch: String,
}

fn default_branch() -> String {
    "main".into()
}

/// Observability settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Observability {
    /// Datadog wiring (extension layer, secret, metric stream).
    #[serde(default)]
    pub datadog: Option<Datadog>,
    /// Business metric names.
    #[serde(default)]
    pub metrics: Option<Metrics>,
    /// CloudWatch Metric Stream to Datadog.
    #[serde(default)]
    pub metric_stream: Option<MetricStream>,
    /// Retention of every log group (default 30d).
    #[serde(default)]
    pub log_retention: Option<Duration>,
    /// X-Ray / Datadog tracing (default true).
    #[serde(default)]
    pub tracing: Option<bool>,
}

/// Datadog settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Datadog {
    /// Datadog site, e.g. `datadoghq.com`.
    pub site: String,
    /// Secrets Manager name of the API key.
    pub api_key_secret: String,
    /// Version of the Datadog Lambda extension layer.
    pub extension_version: u32,
}

/// Business metrics the saga emits.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    /// Counted when a saga completes.
    pub completed: String,
    /// Counted when a compensation starts.
    pub compensation: String,
}

/// CloudWatch Metric Stream.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricStream {
    /// Namespaces streamed.
    pub namespaces: Vec<String>,
}

/// A duration such as `500ms`, `30s`, `5m`, `2h` or `7d`.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct Duration(pub String);

/// The pattern every duration matches.
pub const DURATION_PATTERN: &str = r"^[0-9]+(ms|s|m|h|d)$";

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A duration: a whole number and a unit (ms, s, m, h, d), e.g. 30s, 5m, 7d.",
            "pattern": DURATION_PATTERN,
        })
    }
}

impl Duration {
    /// The duration in milliseconds, or `None` when it is malformed.
    pub fn millis(&self) -> Option<u64> {
        let text = self.0.trim();
        let split = text.find(|c: char| !c.is_ascii_digit())?;
        let (number, unit) = text.split_at(split);
        let number: u64 = number.parse().ok()?;
        let factor = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return None,
        };
        number.checked_mul(factor)
    }
}

/// The JSON Schema of the language.
pub fn schema() -> serde_json::Value {
    let schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Spec>();
    schema.to_value()
}
