//! The intermediate representation every emitter reads.
//!
//! The IR is the validated spec with every default applied, every reference
//! resolved and every duration in whole units. It holds no spans and no
//! serde derives of the input format; emitters never look at the AST.
//! Collections are `Vec`s in spec order, so output is deterministic by
//! construction.

use std::fmt;

/// A validated saga.
#[derive(Debug, Clone, PartialEq)]
pub struct Saga {
    /// PascalCase name, e.g. `TripBooking`.
    pub name: String,
    /// kebab-case name, e.g. `trip-booking` (output directory, resource names).
    pub kebab: String,
    /// snake_case name, e.g. `trip_booking` (Rust modules).
    pub snake: String,
    /// Description.
    pub description: Option<String>,
    /// Workflow type.
    pub workflow: Workflow,
    /// Execution timeout in seconds.
    pub timeout_seconds: u64,
    /// The aggregate root.
    pub root: Root,
    /// The single table.
    pub table: Table,
    /// Entities, in spec order.
    pub entities: Vec<Entity>,
    /// The outbox.
    pub outbox: Outbox,
    /// Events, in spec order.
    pub events: Vec<Event>,
    /// Services, in spec order.
    pub services: Vec<Service>,
    /// Fields of the start request.
    pub request: Vec<Field>,
    /// Forward stages: single steps and parallel groups, in order.
    pub stages: Vec<Stage>,
    /// Read models.
    pub views: Vec<View>,
    /// The HTTP API.
    pub api: Option<Api>,
    /// Deployment.
    pub deployment: Deployment,
    /// Observability.
    pub observability: Observability,
}

/// Step Functions workflow type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workflow {
    /// Standard.
    Standard,
    /// Express.
    Express,
}

impl Workflow {
    /// The `StateMachineType` value.
    pub fn as_aws(self) -> &'static str {
        match self {
            Workflow::Standard => "STANDARD",
            Workflow::Express => "EXPRESS",
        }
    }
}

/// The aggregate root.
#[derive(Debug, Clone, PartialEq)]
pub struct Root {
    /// Root entity name.
    pub entity: String,
    /// Field holding the saga id (in the entity and in the request).
    pub id_field: String,
    /// Field holding the status.
    pub status_field: String,
    /// Initial status.
    pub initial: String,
    /// Outcome when every step succeeded.
    pub success: Outcome,
    /// Outcome when the saga was rolled back.
    pub failure: Outcome,
    /// Outcome when a compensation failed.
    pub compensation_failure: Outcome,
    /// Outcome when the pivot's result stayed unknown after its retries.
    pub pivot_unknown: Outcome,
    /// Outcome when a retriable step still failed after its retries.
    pub retries_exhausted: Outcome,
    /// Event written with the root item when the saga starts (`on_start`, or
    /// the first root event that is not an outcome event).
    pub on_start: Option<String>,
}

/// A terminal status and its event.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Status value.
    pub status: String,
    /// Event name.
    pub event: String,
}

/// The single table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Table name.
    pub name: String,
    /// Partition key attribute.
    pub pk: String,
    /// Sort key attribute.
    pub sk: String,
    /// Global secondary indexes.
    pub indexes: Vec<Index>,
    /// TTL attribute.
    pub ttl: Option<String>,
    /// Stream view type.
    pub stream: StreamView,
}

/// A global secondary index of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    /// Index name.
    pub name: String,
    /// Partition key attribute.
    pub pk: String,
    /// Sort key attribute.
    pub sk: Option<String>,
}

/// Stream view type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamView {
    /// `NEW_AND_OLD_IMAGES`.
    NewAndOldImages,
    /// `NEW_IMAGE`.
    NewImage,
}

impl StreamView {
    /// The `StreamViewType` value.
    pub fn as_aws(self) -> &'static str {
        match self {
            StreamView::NewAndOldImages => "NEW_AND_OLD_IMAGES",
            StreamView::NewImage => "NEW_IMAGE",
        }
    }
}

/// An entity in the single table.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    /// PascalCase name.
    pub name: String,
    /// Whether it is the aggregate root.
    pub is_root: bool,
    /// Partition key template.
    pub pk: KeyTemplate,
    /// Sort key template.
    pub sk: KeyTemplate,
    /// Index key templates.
    pub indexes: Vec<IndexKeys>,
    /// Fields.
    pub fields: Vec<Field>,
}

impl Entity {
    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// Key templates of an entity in one index.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexKeys {
    /// Index name (of the table or view).
    pub index: String,
    /// Partition key template.
    pub pk: KeyTemplate,
    /// Sort key template.
    pub sk: Option<KeyTemplate>,
}

/// A key template: literal text and `{field}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTemplate {
    /// The parts, in order.
    pub parts: Vec<KeyPart>,
}

/// A part of a key template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPart {
    /// Literal text.
    Literal(String),
    /// A field's value.
    Field(String),
}

impl KeyTemplate {
    /// The fields the template uses, in order.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            KeyPart::Field(f) => Some(f.as_str()),
            KeyPart::Literal(_) => None,
        })
    }

    /// The literal text before the first placeholder.
    pub fn prefix(&self) -> &str {
        match self.parts.first() {
            Some(KeyPart::Literal(l)) => l,
            _ => "",
        }
    }

    /// Whether the template is a constant.
    pub fn is_constant(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, KeyPart::Literal(_)))
    }
}

impl fmt::Display for KeyTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                KeyPart::Literal(l) => f.write_str(l)?,
                KeyPart::Field(name) => write!(f, "{{{name}}}")?,
            }
        }
        Ok(())
    }
}

/// A typed field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// snake_case name.
    pub name: String,
    /// Type.
    pub ty: FieldType,
    /// Whether it may be absent.
    pub optional: bool,
    /// Regular expression a string matches.
    pub pattern: Option<String>,
    /// Smallest number.
    pub min: Option<f64>,
    /// Largest number.
    pub max: Option<f64>,
    /// Allowed values.
    pub one_of: Vec<String>,
    /// Longest value in characters (JSON Schema `maxLength`, code points):
    /// the spec's `max_length`, or for request fields the bound derived from
    /// the limits the value meets (see [`crate::bounds`]), whichever is
    /// smaller. Applies to the textual form of string, date, timestamp and
    /// decimal fields.
    pub max_length: Option<u32>,
    /// Longest value in UTF-8 bytes: the spec's `max_bytes`, or for request
    /// fields the byte budget `max_length` was derived from.
    pub max_bytes: Option<u32>,
    /// The spec's example value, valid for the field (checked by the
    /// validator); `None`: samples derive one.
    pub example: Option<serde_json::Value>,
    /// What it means.
    pub description: Option<String>,
}

impl Field {
    /// A required field of type `ty` with no constraints, example or
    /// description (e.g. what the validator checks a key template against
    /// when there is no declared field).
    pub fn new(name: impl Into<String>, ty: FieldType) -> Field {
        Field {
            name: name.into(),
            ty,
            optional: false,
            pattern: None,
            min: None,
            max: None,
            one_of: Vec::new(),
            max_length: None,
            max_bytes: None,
            example: None,
            description: None,
        }
    }
}

/// A field type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// UTF-8 string.
    String,
    /// 64-bit integer.
    Int,
    /// Exact decimal (carried as a string or number in JSON).
    Decimal,
    /// Boolean.
    Bool,
    /// Calendar date, `YYYY-MM-DD`.
    Date,
    /// RFC 3339 timestamp.
    Timestamp,
}

impl FieldType {
    /// The spec's name of the type.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Int => "int",
            FieldType::Decimal => "decimal",
            FieldType::Bool => "bool",
            FieldType::Date => "date",
            FieldType::Timestamp => "timestamp",
        }
    }
}

/// The outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Outbox {
    /// Sort key template of outbox items.
    pub sk: KeyTemplate,
    /// TTL of outbox items in seconds.
    pub ttl_seconds: u64,
    /// EventBridge bus name.
    pub bus: String,
    /// EventBridge source.
    pub source: String,
}

/// A domain event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// PascalCase name.
    pub name: String,
    /// The entity it carries.
    pub entity: String,
    /// The entity fields it carries.
    pub fields: Vec<String>,
    /// Whether it needs a human.
    pub alert: bool,
    /// What it means.
    pub description: Option<String>,
}

/// A service (one Lambda function).
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// Lowercase name.
    pub name: String,
    /// PascalCase name, e.g. `Flight` (logical ids, Rust traits).
    pub pascal: String,
    /// Description.
    pub description: Option<String>,
    /// Memory in MB.
    pub memory_mb: u32,
    /// Function timeout in seconds.
    pub timeout_seconds: u64,
    /// Reserved concurrency.
    pub reserved_concurrency: Option<u32>,
    /// Extra layers.
    pub layers: Vec<String>,
    /// Extra environment.
    pub environment: Vec<(String, String)>,
    /// Actions the service implements (forward actions and compensations), in
    /// spec order.
    pub actions: Vec<Action>,
}

/// An action of a service, as the state machine calls it.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// snake_case action name (the trait method).
    pub name: String,
    /// The state that calls it.
    pub state: String,
    /// Whether it is a compensation.
    pub compensation: bool,
    /// The forward step it belongs to.
    pub step: String,
    /// The entity it returns (the step's `writes`).
    pub result: Option<String>,
    /// The event it emits.
    pub emits: Option<String>,
    /// Business errors it may raise.
    pub errors: Vec<String>,
    /// What it receives (a compensation: its step's input).
    pub input: Input,
}

/// What a step (and its compensation) receives: the Lambda payload's
/// `input`, and the fields of the generated `<State>Input`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Input {
    /// Request fields, in request order (the saga id and the root's
    /// partition key fields always among them).
    pub fields: Vec<String>,
    /// Earlier steps whose outputs it receives, in saga order; each writes
    /// an entity and has completed before the step runs.
    pub results: Vec<String>,
}

/// A forward stage.
#[derive(Debug, Clone, PartialEq)]
// Parallel groups are rare and few; boxing the common variant would only
// add indirection to every step.
#[allow(clippy::large_enum_variant)]
pub enum Stage {
    /// One step.
    Step(Step),
    /// Steps that run concurrently, one per branch.
    Parallel(Parallel),
}

impl Stage {
    /// The steps of the stage.
    pub fn steps(&self) -> &[Step] {
        match self {
            Stage::Step(step) => std::slice::from_ref(step),
            Stage::Parallel(group) => &group.branches,
        }
    }

    /// The state name of the stage.
    pub fn name(&self) -> &str {
        match self {
            Stage::Step(step) => &step.name,
            Stage::Parallel(group) => &group.name,
        }
    }
}

/// A parallel group.
#[derive(Debug, Clone, PartialEq)]
pub struct Parallel {
    /// State name.
    pub name: String,
    /// One step per branch.
    pub branches: Vec<Step>,
}

/// A forward step.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// State name.
    pub name: String,
    /// Service name.
    pub service: String,
    /// Action name.
    pub action: String,
    /// Kind.
    pub kind: StepKind,
    /// Entity written (the result type).
    pub writes: Option<String>,
    /// Event emitted.
    pub emits: Option<String>,
    /// Business errors (go straight to compensation).
    pub errors: Vec<String>,
    /// What it receives.
    pub input: Input,
    /// Retry policy for transient errors.
    pub retry: Retry,
    /// Task timeout in seconds.
    pub timeout_seconds: u64,
    /// Whether it is idempotent.
    pub idempotent: bool,
    /// How it is undone.
    pub compensation: Option<Compensation>,
}

/// Step kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// Undone by its compensation.
    Compensatable,
    /// The go/no-go point.
    Pivot,
    /// Retried until it succeeds.
    Retriable,
}

/// A compensation.
#[derive(Debug, Clone, PartialEq)]
pub struct Compensation {
    /// State name.
    pub name: String,
    /// Action name (same service as the step).
    pub action: String,
    /// Event emitted.
    pub emits: Option<String>,
    /// Retry policy.
    pub retry: Retry,
    /// Task timeout in seconds.
    pub timeout_seconds: u64,
    /// Whether it is idempotent.
    pub idempotent: bool,
}

/// A retry policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Retry {
    /// Transient error names of the handler.
    pub errors: Vec<String>,
    /// Retries after the first attempt (`MaxAttempts`).
    pub max_attempts: u32,
    /// `IntervalSeconds`.
    pub interval_seconds: u64,
    /// `BackoffRate`.
    pub backoff_rate: f64,
    /// `MaxDelaySeconds`.
    pub max_delay_seconds: Option<u64>,
    /// `JitterStrategy: FULL`.
    pub jitter: bool,
}

/// A read model.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    /// PascalCase name.
    pub name: String,
    /// View table name.
    pub table: String,
    /// Source entity.
    pub source: String,
    /// Partition key template.
    pub pk: KeyTemplate,
    /// Sort key template.
    pub sk: Option<KeyTemplate>,
    /// Projected fields (of the source entity).
    pub fields: Vec<Field>,
    /// Query indexes.
    pub indexes: Vec<IndexKeys>,
}

/// The HTTP API.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// API name.
    pub name: String,
    /// Authorisation.
    pub auth: Auth,
    /// Throttling rate limit (requests per second).
    pub throttle_rate: f64,
    /// Throttling burst limit.
    pub throttle_burst: u32,
    /// Path of the start route.
    pub start_path: String,
    /// The status route.
    pub status: Option<StatusRoute>,
}

/// API authorisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// IAM.
    Iam,
    /// Cognito user pool.
    Cognito {
        /// User pool ARN.
        user_pool_arn: String,
    },
    /// None (explicit opt-in).
    None,
}

/// The status route.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusRoute {
    /// Path, e.g. `/trips/{trip_id}`.
    pub path: String,
    /// The path parameter holding the id.
    pub parameter: String,
    /// The view read.
    pub view: String,
    /// The view index queried (None: the primary key).
    pub index: Option<String>,
}

/// Deployment settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    /// Region.
    pub region: String,
    /// Architecture.
    pub architecture: Architecture,
    /// Alias name.
    pub alias: String,
    /// Traffic shifting.
    pub traffic: Traffic,
    /// Alarms per deployment group.
    pub alarms: Vec<Alarm>,
    /// Before-traffic hook.
    pub before_traffic_hook: bool,
    /// After-traffic hook.
    pub after_traffic_hook: bool,
    /// Pipeline source.
    pub pipeline: Option<Pipeline>,
}

/// Lambda architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    /// arm64.
    Arm64,
    /// x86_64.
    X86_64,
}

impl Architecture {
    /// The Lambda `Architectures` value.
    pub fn as_aws(self) -> &'static str {
        match self {
            Architecture::Arm64 => "arm64",
            Architecture::X86_64 => "x86_64",
        }
    }
}

/// Traffic shifting of a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Traffic {
    /// `percent` first, the rest after `minutes`.
    Canary {
        /// Percent.
        percent: u32,
        /// Minutes.
        minutes: u32,
    },
    /// `percent` more every `minutes`.
    Linear {
        /// Percent.
        percent: u32,
        /// Minutes.
        minutes: u32,
    },
    /// All at once.
    AllAtOnce,
}

impl Traffic {
    /// The predefined CodeDeploy configuration name, when one matches.
    pub fn predefined_config(self) -> Option<&'static str> {
        Some(match self {
            Traffic::AllAtOnce => "CodeDeployDefault.LambdaAllAtOnce",
            Traffic::Canary {
                percent: 10,
                minutes: 5,
            } => "CodeDeployDefault.LambdaCanary10Percent5Minutes",
            Traffic::Canary {
                percent: 10,
                minutes: 10,
            } => "CodeDeployDefault.LambdaCanary10Percent10Minutes",
            Traffic::Canary {
                percent: 10,
                minutes: 15,
            } => "CodeDeployDefault.LambdaCanary10Percent15Minutes",
            Traffic::Canary {
                percent: 10,
                minutes: 30,
            } => "CodeDeployDefault.LambdaCanary10Percent30Minutes",
            Traffic::Linear {
                percent: 10,
                minutes: 1,
            } => "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
            Traffic::Linear {
                percent: 10,
                minutes: 2,
            } => "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes",
            Traffic::Linear {
                percent: 10,
                minutes: 3,
            } => "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes",
            Traffic::Linear {
                percent: 10,
                minutes: 10,
            } => "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes",
            _ => return None,
        })
    }
}

/// An alarm on a Lambda metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    /// AWS/Lambda metric name.
    pub metric: String,
    /// Statistic.
    pub statistic: String,
    /// Threshold.
    pub threshold: f64,
    /// Period in seconds.
    pub period_seconds: u64,
    /// Evaluation periods.
    pub evaluation_periods: u32,
}

/// Pipeline source.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// `owner/name`.
    pub repository: String,
    /// Branch.
    pub branch: String,
}

/// Observability settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Observability {
    /// Datadog wiring.
    pub datadog: Option<Datadog>,
    /// Business metric for completed sagas.
    pub completed_metric: Option<String>,
    /// Business metric for compensations.
    pub compensation_metric: Option<String>,
    /// Namespaces of the metric stream (empty: no stream).
    pub metric_stream_namespaces: Vec<String>,
    /// Log retention in days.
    pub log_retention_days: u32,
    /// Tracing enabled.
    pub tracing: bool,
}

/// Datadog settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Datadog {
    /// Site.
    pub site: String,
    /// Secret name of the API key.
    pub api_key_secret: String,
    /// Extension layer version.
    pub extension_version: u32,
}

impl Saga {
    /// Every forward step, in order, parallel branches flattened.
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.stages.iter().flat_map(|s| s.steps().iter())
    }

    /// The entity named `name`.
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.entities.iter().find(|e| e.name == name)
    }

    /// The root entity.
    pub fn root_entity(&self) -> &Entity {
        self.entities
            .iter()
            .find(|e| e.is_root)
            .unwrap_or(&self.entities[0])
    }

    /// The event named `name`.
    pub fn event(&self, name: &str) -> Option<&Event> {
        self.events.iter().find(|e| e.name == name)
    }

    /// The service named `name`.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The view named `name`.
    pub fn view(&self, name: &str) -> Option<&View> {
        self.views.iter().find(|v| v.name == name)
    }
}
