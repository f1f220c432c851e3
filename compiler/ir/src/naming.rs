//! The names sagac derives from spec names, in one place.
//!
//! Two kinds of generated name can make a valid-looking spec undeployable or
//! uncompilable, and both are decided here, once, for the validator and the
//! emitters alike:
//!
//! - **AWS physical names** ([`physical_names`]). Every named resource of the
//!   stack is `<stem>-${EnvironmentName}`, where the environment name is at
//!   most [`ENVIRONMENT_MAX`] characters (the `EnvironmentName` parameter's
//!   `AllowedPattern`). A name fits when its stem, the dash and the longest
//!   environment name fit the resource's limit ([`Resource::limit`]). The
//!   validator refuses a spec with a name that does not fit (S077), pointing
//!   at the spec name it comes from; the emitters build the same names with
//!   the same functions and shorten only one kind of name, by a fixed rule:
//!   traffic hooks, which only CodeDeploy invokes ([`hook_stem`]). Every
//!   other name `sagac check` accepts is deployed exactly as written.
//! - **Rust item names** ([`rust_items`], [`rust_members`]). The proc macro
//!   generates types, functions, fields and methods from spec names; two spec
//!   names that map to the same Rust name would make the expansion fail to
//!   compile. The validator refuses them (S033), so `sagac check` and
//!   `saga!` agree on every spec.
//! - **State names** ([`RESERVED_STATES`], [`helper_name`]). The ASL emitter
//!   adds states of its own and helper states named after steps; the
//!   validator keeps spec names clear of the first and short enough for the
//!   second ([`MAX_STATE_NAME`]).
//! - **Case conversions** ([`split_pascal`], [`to_pascal`]) from which every
//!   other derived name is built.

use sha2::{Digest, Sha256};

use crate::ir::{Action, Saga, Service, View};

/// Splits PascalCase into lowercase words joined by `sep`.
pub fn split_pascal(name: &str, sep: char) -> String {
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        let boundary = i > 0
            && c.is_ascii_uppercase()
            && (chars[i - 1].is_ascii_lowercase()
                || chars[i - 1].is_ascii_digit()
                || chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase()));
        if boundary {
            out.push(sep);
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// `flight-booking` → `FlightBooking`.
pub fn to_pascal(name: &str) -> String {
    name.split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

// State names. The ASL emitter adds these states and names the helper
// states after spec names; the validator keeps spec names clear of them and
// within the length limit with their suffixes.

/// First state: writes the root item and the start event.
pub const RECORD_STARTED: &str = "RecordStarted";
/// Writes the success status and event; ends the happy path.
pub const RECORD_SUCCEEDED: &str = "RecordSucceeded";
/// Writes the rolled-back status and event.
pub const RECORD_FAILED: &str = "RecordFailed";
/// Writes the compensation-failure status and the alert event.
pub const RECORD_COMPENSATION_FAILED: &str = "RecordCompensationFailed";
/// Writes the status of a pivot whose outcome stayed unknown, and its event.
pub const RECORD_PIVOT_UNKNOWN: &str = "RecordPivotUnknown";
/// Writes the status of a retriable step that exhausted its retries, and its event.
pub const RECORD_RETRIES_EXHAUSTED: &str = "RecordRetriesExhausted";
/// `Succeed` state, reached only when the success write had already been applied.
pub const SUCCEEDED: &str = "Succeeded";
/// `Fail` state of a saga that was rolled back.
pub const ROLLED_BACK: &str = "RolledBack";
/// `Fail` state of a saga whose compensation failed.
pub const COMPENSATION_FAILED: &str = "CompensationFailed";
/// `Fail` state of a saga whose pivot may or may not have committed.
pub const PIVOT_UNKNOWN: &str = "PivotUnknown";
/// `Fail` state of a saga past its pivot whose retriable step kept failing.
pub const RETRIES_EXHAUSTED: &str = "RetriesExhausted";
/// `Choice` at the end of the compensation chain: did every compensation succeed?
pub const COMPENSATION_OUTCOME: &str = "CompensationOutcome";

/// Suffix of the `Pass` state a parallel branch ends in when its step failed.
pub const CAUGHT_SUFFIX: &str = ".Caught";
/// Suffix of the `Choice` state after a parallel group.
pub const JOINED_SUFFIX: &str = ".Joined";
/// Suffix of the `Choice` state that decides whether a branch is compensated.
pub const NEEDED_SUFFIX: &str = ".Needed";

/// State names the ASL emitter adds itself; steps may not use them. Built
/// from the constants the emitter names its states with, so it cannot miss one.
pub const RESERVED_STATES: &[&str] = &[
    RECORD_STARTED,
    RECORD_SUCCEEDED,
    RECORD_FAILED,
    RECORD_COMPENSATION_FAILED,
    RECORD_PIVOT_UNKNOWN,
    RECORD_RETRIES_EXHAUSTED,
    SUCCEEDED,
    ROLLED_BACK,
    COMPENSATION_FAILED,
    PIVOT_UNKNOWN,
    RETRIES_EXHAUSTED,
    COMPENSATION_OUTCOME,
];

/// State names are limited to 80 characters.
pub const MAX_STATE_NAME: usize = 80;

/// The name of a helper state: `base` + `suffix`, never cut. Spec names
/// have no `.` and every suffix starts with one, so distinct (base, suffix)
/// pairs give distinct names; the validator refuses a base too long to
/// take its suffix within [`MAX_STATE_NAME`] (cutting made two long names
/// sharing a prefix one state, and dropped a compensation).
pub fn helper_name(base: &str, suffix: &str) -> String {
    format!("{base}{suffix}")
}

/// Longest `EnvironmentName` the templates accept (`^[a-z][a-z0-9]{1,15}$`):
/// every physical name has room for it.
pub const ENVIRONMENT_MAX: usize = 16;

/// The `AllowedPattern` of the `EnvironmentName` parameter.
pub fn environment_pattern() -> String {
    format!("^[a-z][a-z0-9]{{1,{}}}$", ENVIRONMENT_MAX - 1)
}

/// The `Fn::Sub` placeholder every physical name ends with.
const ENVIRONMENT: &str = "${EnvironmentName}";

/// A kind of named AWS resource, with its documented name length limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resource {
    /// `AWS::Lambda::Function` `FunctionName`: 64 characters.
    Function,
    /// `AWS::StepFunctions::StateMachine` `StateMachineName`: 80.
    StateMachine,
    /// `AWS::DynamoDB::Table` `TableName`: 255.
    Table,
    /// `AWS::Events::EventBus` `Name`: 256.
    EventBus,
    /// `AWS::KMS::Alias` `AliasName`: 256.
    KmsAlias,
    /// `AWS::Logs::LogGroup` `LogGroupName`: 512.
    LogGroup,
    /// `AWS::CloudWatch::MetricStream` `Name`: 255.
    MetricStream,
    /// A CloudFormation stack name: 128.
    Stack,
}

impl Resource {
    /// The longest name AWS accepts.
    pub fn limit(self) -> usize {
        match self {
            Resource::Function => 64,
            Resource::StateMachine => 80,
            Resource::Table => 255,
            Resource::EventBus | Resource::KmsAlias => 256,
            Resource::LogGroup => 512,
            Resource::MetricStream => 255,
            Resource::Stack => 128,
        }
    }

    /// What the name names, for messages: `Lambda function name`.
    pub fn what(self) -> &'static str {
        match self {
            Resource::Function => "Lambda function name",
            Resource::StateMachine => "state machine name",
            Resource::Table => "DynamoDB table name",
            Resource::EventBus => "EventBridge bus name",
            Resource::KmsAlias => "KMS alias",
            Resource::LogGroup => "log group name",
            Resource::MetricStream => "metric stream name",
            Resource::Stack => "stack name",
        }
    }

    /// Who sets the limit, for messages: `Lambda`.
    pub fn service(self) -> &'static str {
        match self {
            Resource::Function => "Lambda",
            Resource::StateMachine => "Step Functions",
            Resource::Table => "DynamoDB",
            Resource::EventBus => "EventBridge",
            Resource::KmsAlias => "KMS",
            Resource::LogGroup | Resource::MetricStream => "CloudWatch",
            Resource::Stack => "CloudFormation",
        }
    }
}

/// The spec name a physical name is built from (beyond the saga's name,
/// which every name but the tables' and the bus's carries).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// The saga's name (`name:`), alone.
    Saga,
    /// A service (`services.<name>`), with the saga's name.
    Service(String),
    /// A view (`views.<name>`), with the saga's name.
    View(String),
    /// The saga table (`table.name`).
    Table,
    /// A view's table (`views.<name>.table`).
    ViewTable(String),
    /// The outbox's bus (`outbox.bus`).
    Bus,
}

/// One physical name of the stack or the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhysicalName {
    /// What it names.
    pub resource: Resource,
    /// The name without `-${EnvironmentName}`.
    pub stem: String,
    /// The spec name it comes from.
    pub origin: Origin,
}

impl PhysicalName {
    fn new(resource: Resource, stem: String, origin: Origin) -> Self {
        PhysicalName {
            resource,
            stem,
            origin,
        }
    }

    /// The name as an `Fn::Sub` body: `<stem>-${EnvironmentName}`.
    pub fn sub(&self) -> String {
        with_environment(&self.stem)
    }

    /// Its length with the longest environment name.
    pub fn longest(&self) -> usize {
        self.stem.len() + 1 + ENVIRONMENT_MAX
    }

    /// By how many characters it is too long (0 when it fits).
    pub fn excess(&self) -> usize {
        self.longest().saturating_sub(self.resource.limit())
    }
}

/// `<stem>-${EnvironmentName}`.
pub fn with_environment(stem: &str) -> String {
    format!("{stem}-{ENVIRONMENT}")
}

/// The stem of a function of the stack: `<prefix><saga-kebab>-<part>`.
pub fn function_stem(prefix: &str, kebab: &str, part: &str) -> String {
    format!("{prefix}{kebab}-{part}")
}

/// The prefix the CodeDeploy service role may invoke (the managed policy
/// `AWSCodeDeployRoleForLambda` allows only `CodeDeployHook_*`).
pub const HOOK_PREFIX: &str = "CodeDeployHook_";

/// The name part of a traffic hook function: `<service>-before` / `-after`.
pub fn hook_part(service: &str, when: &str) -> String {
    format!("{service}-{when}")
}

/// The stem of a traffic hook function (`when` is `before` or `after`):
/// `CodeDeployHook_<saga>-<service>-<when>`, or, when that would not fit
/// Lambda's 64 characters with the environment, the one name sagac
/// shortens: cut to leave room for `-` and the first 8 hex digits of the
/// SHA-256 of the full stem, which are appended. Only CodeDeploy invokes a
/// hook, by the name the template gives it, and the same spec always gives
/// the same name; the hook's description names the full form
/// ([`hook_shortened`]).
pub fn hook_stem(kebab: &str, service: &str, when: &str) -> String {
    let full = function_stem(HOOK_PREFIX, kebab, &hook_part(service, when));
    let budget = Resource::Function.limit() - 1 - ENVIRONMENT_MAX;
    if full.len() <= budget {
        return full;
    }
    let digest = Sha256::digest(full.as_bytes());
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    // Valid names are ASCII; an invalid one (already reported) must not
    // make the cut panic inside a character.
    let mut cut = budget - 1 - hash.len();
    while !full.is_char_boundary(cut) {
        cut -= 1;
    }
    let kept = full[..cut].trim_end_matches(['-', '_']);
    format!("{kept}-{hash}")
}

/// The full stem of a hook whose name [`hook_stem`] shortened, if it did.
pub fn hook_shortened(kebab: &str, service: &str, when: &str) -> Option<String> {
    let full = function_stem(HOOK_PREFIX, kebab, &hook_part(service, when));
    (hook_stem(kebab, service, when) != full).then_some(full)
}

/// The name part of the outbox dispatcher's function.
pub const DISPATCHER_PART: &str = "outbox-dispatcher";

/// The name part of a view's projector function (`trip-view-projector`).
pub fn projector_part(view: &View) -> String {
    format!("{}-projector", split_pascal(&view.name, '-').to_lowercase())
}

/// The state machine's name stem: the saga's PascalCase name.
pub fn state_machine_stem(saga: &Saga) -> String {
    saga.name.clone()
}

/// Every physically named resource of the stack and the pipeline, in a fixed
/// order. The emitters name resources with the functions of this module;
/// a test checks that every name in the generated templates is listed here.
pub fn physical_names(saga: &Saga) -> Vec<PhysicalName> {
    use Resource as R;
    let kebab = &saga.kebab;
    let function = |prefix: &str, part: &str, origin: Origin| {
        PhysicalName::new(R::Function, function_stem(prefix, kebab, part), origin)
    };
    let mut out = vec![
        PhysicalName::new(R::StateMachine, state_machine_stem(saga), Origin::Saga),
        PhysicalName::new(
            R::LogGroup,
            format!("/aws/vendedlogs/states/{}", state_machine_stem(saga)),
            Origin::Saga,
        ),
        PhysicalName::new(R::Table, saga.table.name.clone(), Origin::Table),
        PhysicalName::new(R::EventBus, saga.outbox.bus.clone(), Origin::Bus),
        PhysicalName::new(R::KmsAlias, format!("alias/{kebab}"), Origin::Saga),
        PhysicalName::new(R::KmsAlias, format!("alias/{kebab}-pipeline"), Origin::Saga),
        PhysicalName::new(R::Stack, kebab.clone(), Origin::Saga),
        PhysicalName::new(
            R::LogGroup,
            format!("/aws/codebuild/{kebab}-build"),
            Origin::Saga,
        ),
        function("", DISPATCHER_PART, Origin::Saga),
    ];
    if saga.api.is_some() {
        out.push(PhysicalName::new(
            R::LogGroup,
            format!("/aws/apigateway/{kebab}"),
            Origin::Saga,
        ));
    }
    if !saga.observability.metric_stream_namespaces.is_empty() {
        out.push(PhysicalName::new(
            R::MetricStream,
            format!("{kebab}-metrics"),
            Origin::Saga,
        ));
        out.push(PhysicalName::new(
            R::LogGroup,
            format!("/aws/kinesisfirehose/{kebab}-metrics"),
            Origin::Saga,
        ));
    }
    for service in &saga.services {
        out.extend(service_functions(saga, service));
    }
    for view in &saga.views {
        out.push(PhysicalName::new(
            R::Table,
            view.table.clone(),
            Origin::ViewTable(view.name.clone()),
        ));
        out.push(function(
            "",
            &projector_part(view),
            Origin::View(view.name.clone()),
        ));
    }
    // Each function's log group is `/aws/lambda/<function name>`.
    let logs: Vec<PhysicalName> = out
        .iter()
        .filter(|n| n.resource == R::Function)
        .map(|n| {
            PhysicalName::new(
                R::LogGroup,
                format!("/aws/lambda/{}", n.stem),
                n.origin.clone(),
            )
        })
        .collect();
    out.extend(logs);
    out
}

/// A service's functions: its own and its traffic hooks.
fn service_functions(saga: &Saga, service: &Service) -> Vec<PhysicalName> {
    let origin = Origin::Service(service.name.clone());
    let mut out = vec![PhysicalName::new(
        Resource::Function,
        function_stem("", &saga.kebab, &service.name),
        origin.clone(),
    )];
    let hooks = [
        ("before", saga.deployment.before_traffic_hook),
        ("after", saga.deployment.after_traffic_hook),
    ];
    for (when, enabled) in hooks {
        if enabled {
            out.push(PhysicalName::new(
                Resource::Function,
                hook_stem(&saga.kebab, &service.name, when),
                origin.clone(),
            ));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Rust names.

/// The value types every expansion re-exports (from `sagac_runtime::value`).
pub const SUPPORT_TYPES: [&str; 4] = ["Decimal", "Date", "Timestamp", "FormatError"];

/// `credit-check` → `credit_check`: the snake_case form of a service name in
/// function names.
pub fn service_snake(name: &str) -> String {
    name.replace('-', "_")
}

/// A snake_case method prefix for an index name: `GSI1` → `gsi1`,
/// `ByStatus` → `by_status`, `by-date` → `by_date`.
pub fn index_snake(name: &str) -> String {
    let snake = split_pascal(name, '_');
    let mut out = String::new();
    for c in snake.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '_' };
        if !(c == '_' && (out.is_empty() || out.ends_with('_'))) {
            out.push(c);
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.starts_with(|c: char| c.is_ascii_digit()) || out.is_empty() {
        format!("index_{out}")
    } else {
        out
    }
}

/// The field of a `<State>Input` holding an earlier step's output: the
/// step's name in snake_case (`ReserveFlight` → `reserve_flight`).
pub fn results_field(step: &str) -> String {
    split_pascal(step, '_')
}

/// The module the `saga!` macro expands into, unless it is given another:
/// the saga's name in snake_case (`TripBooking` → `trip_booking`).
pub fn saga_module(saga: &Saga) -> String {
    saga.snake.clone()
}

/// What a generated Rust name stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RustOwner {
    /// One of [`SUPPORT_TYPES`].
    ValueType(&'static str),
    /// `<Saga>Request`, from the saga's name.
    Request,
    /// An entity's struct.
    Entity(String),
    /// An event's struct.
    Event(String),
    /// A service's trait, handler and functions.
    Service(String),
    /// A step's or compensation's command and error types (by state name).
    State(String),
    /// An index used by an entity (`<index>_pk`, `<index>_sk` methods).
    EntityIndex {
        /// The entity.
        entity: String,
        /// The index.
        index: String,
    },
    /// A step whose output is a field of a `<State>Input`.
    ResultsField(String),
    /// A request field received by a step (a field of its `<State>Input`).
    InputField(String),
}

impl RustOwner {
    /// For messages: "entity `Trip`".
    pub fn describe(&self) -> String {
        match self {
            RustOwner::ValueType(name) => format!("the value type `{name}`"),
            RustOwner::Request => "the start request".to_owned(),
            RustOwner::Entity(name) => format!("entity `{name}`"),
            RustOwner::Event(name) => format!("event `{name}`"),
            RustOwner::Service(name) => format!("service `{name}`"),
            RustOwner::State(name) => format!("state `{name}`"),
            RustOwner::EntityIndex { index, .. } => format!("index `{index}`"),
            RustOwner::ResultsField(name) => format!("the output of step `{name}`"),
            RustOwner::InputField(name) => format!("request field `{name}`"),
        }
    }
}

/// One generated Rust name and what it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustName {
    /// The identifier.
    pub name: String,
    /// Where it comes from.
    pub owner: RustOwner,
}

fn rust_name(name: String, owner: RustOwner) -> RustName {
    RustName { name, owner }
}

/// Every item the expansion defines at module level, for every service
/// (whichever service the macro selects, so selecting one never changes
/// whether a spec compiles), in a fixed order.
pub fn rust_items(saga: &Saga) -> Vec<RustName> {
    let mut out: Vec<RustName> = SUPPORT_TYPES
        .iter()
        .map(|name| rust_name((*name).to_owned(), RustOwner::ValueType(name)))
        .collect();
    out.push(rust_name(
        format!("{}Request", saga.name),
        RustOwner::Request,
    ));
    for entity in &saga.entities {
        out.push(rust_name(
            entity.name.clone(),
            RustOwner::Entity(entity.name.clone()),
        ));
    }
    for event in &saga.events {
        out.push(rust_name(
            event.name.clone(),
            RustOwner::Event(event.name.clone()),
        ));
    }
    for service in &saga.services {
        let owner = RustOwner::Service(service.name.clone());
        let pascal = &service.pascal;
        let snake = service_snake(&service.name);
        out.push(rust_name(format!("{pascal}Service"), owner.clone()));
        out.push(rust_name(format!("{pascal}Handler"), owner.clone()));
        for function in ["dispatch", "run", "serve"] {
            out.push(rust_name(format!("{function}_{snake}"), owner.clone()));
        }
        for action in &service.actions {
            let owner = RustOwner::State(action.state.clone());
            out.push(rust_name(format!("{}Input", action.state), owner.clone()));
            out.push(rust_name(format!("{}Command", action.state), owner.clone()));
            out.push(rust_name(format!("{}Error", action.state), owner));
        }
    }
    out
}

/// The names generated inside one type, per type: an entity's key methods,
/// and the fields of each `<State>Input`. Each list must be free of
/// duplicates.
pub fn rust_members(saga: &Saga) -> Vec<(String, Vec<RustName>)> {
    let mut out = Vec::new();
    for entity in &saga.entities {
        let mut names = Vec::new();
        for index in &entity.indexes {
            let owner = RustOwner::EntityIndex {
                entity: entity.name.clone(),
                index: index.index.clone(),
            };
            let prefix = index_snake(&index.index);
            names.push(rust_name(format!("{prefix}_pk"), owner.clone()));
            if index.sk.is_some() {
                names.push(rust_name(format!("{prefix}_sk"), owner));
            }
        }
        out.push((entity.name.clone(), names));
    }
    for service in &saga.services {
        for action in &service.actions {
            out.push((format!("{}Input", action.state), input_fields(action)));
        }
    }
    out
}

/// The fields of an action's `<State>Input`: the request fields it
/// receives, the earlier steps' outputs it receives, and for a compensation
/// the output of its step (in that order).
pub fn input_fields(action: &Action) -> Vec<RustName> {
    let mut names: Vec<RustName> = action
        .input
        .fields
        .iter()
        .map(|f| rust_name(f.clone(), RustOwner::InputField(f.clone())))
        .collect();
    for step in &action.input.results {
        names.push(rust_name(
            results_field(step),
            RustOwner::ResultsField(step.clone()),
        ));
    }
    if action.compensation && action.result.is_some() {
        names.push(rust_name(
            results_field(&action.step),
            RustOwner::ResultsField(action.step.clone()),
        ));
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_conversions() {
        assert_eq!(split_pascal("TripBooking", '-'), "trip-booking");
        assert_eq!(split_pascal("HTTPServer", '_'), "http_server");
        assert_eq!(to_pascal("flight-booking"), "FlightBooking");
    }

    #[test]
    fn rust_name_forms() {
        assert_eq!(index_snake("GSI1"), "gsi1");
        assert_eq!(index_snake("ByStatus"), "by_status");
        assert_eq!(index_snake("by-date"), "by_date");
        assert_eq!(index_snake("1st"), "index_1st");
        assert_eq!(service_snake("credit-check"), "credit_check");
        assert_eq!(results_field("HTTPCall"), results_field("HttpCall"));
    }

    #[test]
    fn hook_names_are_cut_deterministically_and_never_inside_a_character() {
        let short = hook_stem("trip-booking", "flight", "before");
        assert_eq!(short, "CodeDeployHook_trip-booking-flight-before");
        assert_eq!(hook_shortened("trip-booking", "flight", "before"), None);
        let long = hook_stem("order-fulfilment", "inventory", "before");
        assert_eq!(long.len(), 47);
        assert_eq!(long, hook_stem("order-fulfilment", "inventory", "before"));
        assert_ne!(long, hook_stem("order-fulfilment", "inventory", "after"));
        let odd = hook_stem(&"ü".repeat(30), "ß", "after");
        assert!(odd.len() <= 47 && odd.starts_with(HOOK_PREFIX), "{odd}");
    }

    #[test]
    fn environment_pattern_matches_the_budget() {
        assert_eq!(environment_pattern(), "^[a-z][a-z0-9]{1,15}$");
    }
}
