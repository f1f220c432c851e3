//! The catalogue of diagnostic codes.
//!
//! Codes are stable: tools and CI annotations key on them, so a code is never
//! reused for another meaning. `sagac explain S0xx` prints the explanation.

macro_rules! codes {
    ($($variant:ident = $code:literal, $title:literal, $explanation:literal;)*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(
                #[doc = $title]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as printed, e.g. `S020`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// A short title.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }

            /// The long explanation, with an example and the fix.
            pub fn explanation(self) -> &'static str {
                match self { $(Code::$variant => $explanation,)* }
            }

            /// Looks a code up by its printed form (case-insensitive).
            pub fn parse(code: &str) -> Option<Code> {
                Code::ALL.iter().copied().find(|c| c.as_str().eq_ignore_ascii_case(code))
            }
        }
    };
}

codes! {
    YamlSyntax = "S001", "YAML syntax error",
"The file is not well-formed YAML. The parser stopped at the position shown.

Common causes are a tab used for indentation, an unclosed quote or bracket, or
a key and value on a line with inconsistent indentation. Fix the YAML at the
position shown; nothing else in the file can be checked until it parses.";
    EmptyDocument = "S002", "empty spec",
"The file contains no YAML document, or only `null`.

A saga spec is a mapping that starts with `sagac: 1`, followed by the saga's
`name`, `root`, `entities`, `services`, `steps` and the rest. `sagac schema`
prints the JSON Schema of the language, which lists every key (editors using
it complete them).";
    MultipleDocuments = "S003", "more than one YAML document",
"A spec file holds exactly one saga. The file contains a second YAML document
(separated by `---`).

Put each saga in its own file.";
    DuplicateKey = "S004", "duplicate key",
"The same key appears twice in one mapping. YAML parsers disagree about which
value wins, so sagac refuses the file instead of guessing.

Remove or rename one of the two keys.";
    AliasLimit = "S005", "alias expansion limit exceeded",
"Expanding the YAML aliases (`*name`) in this file would produce more nodes
than sagac accepts (a \"billion laughs\" document). Anchors and aliases are
meant for sharing small policies such as retry settings.

Reduce the nesting of aliases.";
    TooDeep = "S006", "nesting too deep",
"The document nests mappings or sequences deeper than sagac accepts. No saga
spec needs this depth; such input is usually generated or hostile.";
    TooLarge = "S007", "file too large",
"The file exceeds the size limit for a spec: 8 MiB of text, or 1,000,000 YAML
nodes (every scalar, mapping and sequence, counted after alias expansion). A
spec with thousands of steps is still far below both limits; split the input or
check that the right file was given.";
    NotText = "S008", "not UTF-8 text",
"The file is not UTF-8 text (it contains invalid UTF-8 or NUL bytes, as binary
files do). Save the spec as UTF-8.";
    UnsupportedYaml = "S009", "unsupported YAML feature",
"The spec uses a YAML feature sagac does not accept: a custom tag, a complex
(non-scalar) mapping key, or a merge key whose value is not a mapping.

Use plain scalars as keys and standard tags only.";
    UnknownKey = "S010", "unknown key",
"The mapping contains a key the spec language does not define at this place.
It is usually a typo; the help line suggests the nearest valid key. The JSON
Schema (`spec/saga.schema.json`) lists every key, and editors using it complete
them.";
    MissingKey = "S011", "missing required key",
"A key the spec language requires at this place is missing. Add it; the help
line says what it holds.";
    WrongType = "S012", "wrong type",
"The value has the wrong type for this key, for example a list where a mapping
is expected or a string where a number is expected.";
    InvalidValue = "S013", "invalid value",
"The value has the right type but is not one of the accepted values, or does
not match the expected format (for example a duration must look like `30s`,
`5m`, `2h` or `7d`).";
    InvalidPattern = "S014", "invalid regular expression",
"A field's `pattern` is not a regular expression in the dialect every consumer
of the generated schemas compiles: ECMA 262 (JavaScript), which JSON Schema and
API Gateway request models use. sagac checks the pattern the way the
`jsonschema` crate does, under ECMA 262's `u` flag (identity escapes of
punctuation such as `\\.` or `\\-` are accepted too). A pattern that fails to
compile would otherwise reach the API model, where API Gateway refuses the
deployment or rejects every request.

For example `^[A-Z{3}$` opens a character class it never closes; the
intended pattern is `^[A-Z]{3}$`. Escape literal brackets, braces and
parentheses (`\\[`, `\\{`, `\\(`); lookbehind, named groups and Unicode
property escapes (`\\p{L}`) are fine.";
    UnsupportedVersion = "S015", "unsupported spec version",
"`sagac:` names the version of the spec language the file is written in. This
compiler understands version 1.";
    UnknownService = "S020", "unknown service",
"A step or compensation names a service that is not defined under `services:`.
Define the service, or fix the name (the help line suggests the nearest).";
    UnknownEntity = "S021", "unknown entity",
"A step, event, view or the root names an entity that is not defined under
`entities:`.";
    UnknownEvent = "S022", "unknown event",
"A step, compensation or outcome emits an event that is not defined under
`events:`.";
    UnknownIndex = "S023", "unknown index",
"An entity or the API names an index that is not defined on the table (or on the
view). Entities may only fill index keys of indexes the table declares.";
    UnknownView = "S024", "unknown view",
"The API names a view that is not defined under `views:`.";
    UnknownKeyField = "S025", "unknown field in key template",
"A key template such as `TRIP#{trip_id}` refers to a field that the entity (or
view) does not have. Key values are built from the entity's fields, so every
placeholder must name one of them.";
    UnknownField = "S026", "unknown field",
"A list of fields (in an event, a view, or the root) names a field the entity
does not have.";
    DuplicateName = "S030", "duplicate name",
"Two steps, compensations or parallel groups share a name. Names become Step
Functions state names, which must be unique in a state machine.";
    DuplicateAction = "S031", "duplicate action",
"Two steps or compensations of the same service use the same action name. Each
action becomes one method of the service's trait, so names must be unique per
service.";
    DuplicateTable = "S032", "duplicate table name",
"Two tables (the saga table and a view table, or two view tables) share a name.";
    RustNameCollision = "S033", "names collide in the generated Rust code",
"The `saga!` macro generates Rust items from spec names, and two spec names
would produce the same Rust name, so the expansion could not compile. The
generated names are, inside the saga's module: the value types `Decimal`,
`Date`, `Timestamp` and `FormatError` (re-exported from the runtime);
`<Saga>Request`; one struct per entity and per event (their own names); per
service `<Service>Service`, `<Service>Handler`, `dispatch_<service>`,
`run_<service>` and `serve_<service>` (the service name in PascalCase and
snake_case); per step and compensation `<State>Input`, `<State>Command` and
`<State>Error`. Inside an entity: the key builders `<index>_pk` and
`<index>_sk` of each index it fills (the index name in snake_case, so `GSI1`
and `gsi1` collide). Inside a `<State>Input`: the request fields the step
receives and one field per earlier output it receives (the step name in
snake_case, so `HTTPCall` and `HttpCall` collide, and a request field
`reserve_flight` collides with the output of `ReserveFlight`).

For example an event named `TakePaymentCommand` collides with the command of
the step `TakePayment`; an entity named `Decimal` with the value type.
`sagac check` and the macro refuse the same specs: rename one of the two.";
    StepOrder = "S040", "step kinds out of order",
"A saga's steps must be ordered: compensatable steps first, then at most one
pivot step, then retriable steps (Garcia-Molina; microservices.io). A step
after the pivot cannot be undone by compensation, so it must be retriable; a
compensatable step after the pivot would never be compensated.";
    MultiplePivots = "S041", "more than one pivot",
"A saga has at most one pivot step: the go/no-go point after which the saga
can only move forward.

How sagac runs the pivot. A business error of the pivot (one of its `errors`)
is a definite no-go: the steps before it are compensated, last first, and the
saga ends in `on_failure`. Any other failure (a task timeout,
`Lambda.Unknown`, `TransientError` or a Lambda service error) is ambiguous:
the pivot may have committed (the payment captured) and only its response was
lost, so rolling back would release what the customer paid for. sagac
therefore never compensates on an ambiguous pivot failure. It retries the
pivot with its retry policy on every failure except its business errors and
`Saga.InvalidPayload` (pivots must be idempotent: a retry with the same
idempotency key returns the first result), until the outcome is definite:
success goes forward, a business error compensates. If it is still unknown
after the last retry (the policy bounds the time: `attempts`, `interval`,
`backoff`, `max_delay`), the saga ends in the distinct `on_pivot_unknown`
outcome (default status `PIVOT_UNKNOWN`, with the `on_compensation_failure`
event), Fail state `PivotUnknown`, error `Saga.PivotUnknown`: nothing was
rolled back and people must find out whether the pivot committed.";
    MissingCompensation = "S042", "compensatable step without compensation",
"A compensatable step must say how it is undone: add a `compensation:` with the
action that reverses it. If the step cannot be undone, make it the pivot; if it
cannot fail for business reasons, make it retriable.";
    UselessCompensation = "S043", "compensation on a step that is never compensated",
"Pivot and retriable steps are never compensated (nothing after them can fail
for business reasons), so a compensation there would never run. Remove it, or
make the step compensatable.";
    RetriableWithErrors = "S044", "retriable step with business errors",
"A retriable step may not fail for business reasons; it is retried until it
succeeds. Remove its `errors:` or make it compensatable or the pivot.

Retriable steps run after the pivot, so nothing can be rolled back any more.
They retry their policy's errors, `TransientError`, the Lambda service errors
and task timeouts. A retriable step that still fails after its last retry
ends the saga in the distinct `on_retries_exhausted` outcome (default status
`RETRIES_EXHAUSTED`, with the `on_compensation_failure` event), Fail state
`RetriesExhausted`, error `Saga.RetriesExhausted`: the saga went past its
point of no return and did not finish, so people must complete it. It is not
the compensation-failure outcome, because no compensation ran.";
    InvalidParallel = "S045", "invalid parallel group",
"A parallel group needs at least two branches, and every branch must be a
compensatable step: the group runs before the pivot, and when one branch fails
the completed branches are compensated.";
    PivotNotIdempotent = "S046", "pivot that is not idempotent",
"The pivot is retried on every ambiguous failure (a timeout, `Lambda.Unknown`,
a transient error) until its outcome is definite, because compensating after
a pivot that may have committed would undo the saga's point of no return. A
pivot that is not idempotent could then take effect twice (charge twice).
Make the pivot idempotent (the runtime's idempotency key, execution and state
name, returns the first result of a repeated call) and remove
`idempotent: false`. See `sagac explain S041` for the pivot's semantics.";
    ExpressNotIdempotent = "S047", "Express workflow with a non-idempotent step",
"Express workflows run at least once, so every step may run more than once.
Every step and compensation of an Express saga must be idempotent. Use
`workflow: standard`, or make the step idempotent and remove
`idempotent: false`.";
    NoSteps = "S048", "saga without steps",
"A saga needs at least one step: add an entry under `steps:` naming the service
and the action that runs it.";
    InvalidRoot = "S049", "invalid root",
"The root entity must be defined, must have the id and status fields the root
names, and its status values must be distinct.";
    KeyTemplateSyntax = "S050", "invalid key template",
"A key template is literal text with `{field}` placeholders, for example
`TRIP#{trip_id}`. Braces must be balanced and placeholders non-empty, and two
placeholders must be separated by literal text so the key can be parsed back.";
    KeyCollision = "S051", "key templates collide",
"Two entities have key templates that can produce the same primary key, so one
entity's item could overwrite the other's. Give each entity a distinct literal
prefix in its sort key (e.g. `FLIGHT#{flight_id}` and `HOTEL#{hotel_id}`).";
    OptionalKeyField = "S052", "optional field in a key",
"A key template refers to an optional field. Keys must always be present, so
every field a key uses must be required.";
    InvalidDuration = "S060", "invalid duration",
"Durations are a number followed by a unit: `ms`, `s`, `m`, `h` or `d`, for
example `500ms`, `30s`, `5m`, `7d`.";
    DurationRange = "S061", "duration out of range",
"The duration is outside the range AWS accepts here. Lambda functions run at
most 15 minutes; Standard workflows at most one year, Express workflows five
minutes; retry intervals and delays are whole seconds of at least one.";
    RetryRange = "S062", "retry policy out of range",
"A retry policy's numbers are outside what Step Functions accepts: `attempts`
from 0 to 99999999, `backoff` from 1.0 to 10.0, `interval` at least 1s,
`max_delay` at least the interval.";
    CanaryRange = "S063", "traffic shifting out of range",
"A canary or linear deployment shifts between 1 and 99 percent of traffic at a
time, with an interval of whole minutes between 1 and 2880.";
    MemoryRange = "S064", "Lambda memory out of range",
"Lambda memory is between 128 and 10240 MB.";
    ConcurrencyRange = "S065", "limit out of range",
"Reserved concurrency, API throttling rate and burst, and alarm thresholds and
periods must be within what AWS accepts (reserved concurrency 0 to 1000 by
default quota; throttling rate and burst positive).";
    LogRetention = "S067", "log retention not accepted by CloudWatch",
"CloudWatch Logs accepts only certain retention periods (1, 3, 5, 7, 14, 30, 60,
90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 and
3653 days).";
    TimeoutExceedsSaga = "S068", "timeout longer than the saga",
"A step's timeout is longer than the whole saga's timeout, so it could never
run to its limit.";
    TaskShorterThanFunction = "S069", "task timeout shorter than the function timeout",
"A step's (or compensation's) task timeout is shorter than the Lambda timeout of
its service. Step Functions would give up on the task while the function may
still be running: the saga would start compensating, and the step could
commit after its compensation ran, leaving a reservation behind. Make the task
timeout longer than the function's timeout (a couple of seconds of margin).";
    NameTooLong = "S077", "generated name too long",
"A name sagac generates from spec names would be longer than AWS accepts. Every
named resource is `<stem>-${EnvironmentName}`, and the environment name may be
up to 16 characters (the stack's `EnvironmentName` parameter), so the stem must
leave room for a dash and 16 characters. A spec whose names do not fit is
refused here, at the spec name they come from; what `sagac check` accepts is
deployed under exactly the names it implies, with one exception below.

The names and their limits (`<saga>` is the saga name in kebab case,
`TripBooking` → `trip-booking`):

- Lambda functions, 64 characters: `<saga>-<service>`,
  `<saga>-outbox-dispatcher` and `<saga>-<view>-projector` (view name in
  kebab case). So `<saga>` is at most 29 characters (the dispatcher), and
  `<saga>` and a service name together at most 46;
- traffic hooks (`deployment.hooks`), `CodeDeployHook_<saga>-<service>-before`
  and `-after`, are the only names sagac shortens, since only CodeDeploy
  invokes them: a hook name that would not fit is cut to 38 characters and
  gets `-` and the first 8 hex digits of the SHA-256 of its full form, so the
  same spec always gives the same name, and the hook's `Description` in the
  template names the full form;
- the state machine, 80: the PascalCase saga name, so at most 63 characters;
- DynamoDB tables, 255: `table.name` and each view's `table`, at most 238;
- the EventBridge bus, 256: `outbox.bus`, at most 239;
- KMS aliases (256), log groups (512), the metric stream (255) and the stack
  (128), all built from `<saga>`.

Shorten the name the diagnostic points at (or the saga name, which every
function name starts with).";
    InvalidStateName = "S070", "invalid state name",
"Step, compensation and group names become Step Functions state names: at most
80 characters, and no whitespace, brackets, wildcards, quotes or control
characters. sagac also requires PascalCase so the generated Rust names read
well.

In a parallel group sagac adds helper states named after the spec's names:
`<Group>.Joined` after the group, `<Step>.Caught` in each branch and
`<Compensation>.Needed` before each branch's compensation. Names are never
cut (cutting made two long names sharing a prefix into one state), so these
names must leave room for their suffix: at most 73 characters.";
    InvalidServiceName = "S071", "invalid service name",
"Service names become Lambda function names, Rust names and CloudFormation
logical ids: lowercase letters, digits and hyphens, starting with a letter and
not ending with a hyphen. How long a service name may be depends on the saga
name it is combined with (`<saga>-<service>-${EnvironmentName}` must fit
Lambda's 64 characters); that rule is S077.";
    InvalidTableName = "S072", "invalid table name",
"DynamoDB table and index names are at least 3 characters of letters, digits,
`_`, `-` and `.`; index names at most 255. A table's deployed name carries the
environment (`<table>-${EnvironmentName}`), so a table name may be at most 238
characters (S077).";
    InvalidMetricName = "S073", "invalid name for an event or metric",
"Event names are PascalCase identifiers (they become Rust types and EventBridge
detail types). Datadog metric names start with a letter and contain letters,
digits, `_` and `.`, at most 200 characters.";
    InvalidSagaName = "S074", "invalid saga name",
"The saga name is PascalCase (letters and digits, starting with an upper-case
letter); it names the state machine and, in kebab case, the output directory
and every function. How long it may be follows from the names built from it
(S077): in kebab case at most 29 characters, so that
`<saga>-outbox-dispatcher-${EnvironmentName}` fits Lambda's 64.";
    InvalidRegion = "S075", "invalid region",
"The region must look like an AWS region name, for example `ap-northeast-1`.";
    InvalidIdentifier = "S076", "invalid identifier",
"Actions and fields are snake_case (they become Rust functions and fields);
entities and views are PascalCase (they become Rust types). Rust keywords are
not allowed.";
    TooManyAlarms = "S080", "more than 10 alarms per deployment group",
"A CodeDeploy deployment group watches at most 10 CloudWatch alarms. sagac adds
one alarm per entry of `deployment.alarms` to each function's group.";
    UnknownSite = "S081", "unknown Datadog site",
"The Datadog site must be one of `datadoghq.com`, `us3.datadoghq.com`,
`us5.datadoghq.com`, `datadoghq.eu`, `ap1.datadoghq.com`, `ap2.datadoghq.com`,
`ddog-gov.com`.";
    AuthorizerConfig = "S082", "authoriser configuration",
"`auth: cognito` needs `authorizer.user_pool_arn`; `auth: jwt` is not available
for REST APIs and is refused; `auth: none` must be chosen explicitly and is
never a default.";
    ViewKeyField = "S083", "view key uses a field outside the view",
"A view's key templates may only use fields the view projects (its `fields:`).";
    ConflictingStrategies = "S084", "conflicting deployment strategies",
"Choose one of `canary`, `linear` or `all_at_once` for the deployment.";
    MetricStreamConfig = "S085", "metric stream without a destination",
"`observability.metric_stream` streams CloudWatch metrics (OpenTelemetry 1.0)
through Kinesis Data Firehose to Datadog's intake for the chosen site, with the
API key from `observability.datadog`. It has no other destination, so it needs
`observability.datadog`; without it the stream would be dropped, and sagac
refuses the spec instead of generating a stack that silently lacks it. It must
also list at least one namespace (`namespaces: [AWS/Lambda, AWS/States]`).

Add `datadog: { site: datadoghq.com, api_key_secret: ... }` under
`observability:`, or remove `metric_stream`.";
    InvalidExample = "S090", "invalid example value",
"A field's `example:` is not a value the field accepts: the wrong type, not in
its `enum`, not matching its `pattern`, outside `min`/`max`, or longer than its
length bound (for request fields, also the bound sagac derives, see S091).

Examples become the sample request (`sample-input.json`, the example of the
API schema, the inputs of the mock configuration), so a bad one would be a
sample that the API refuses. Fix the value, or remove `example:` to let sagac
derive one from the field's name, type and constraints.";
    BoundExceedsLimit = "S091", "bound beyond a DynamoDB or Step Functions limit",
"The API checks the start request before the saga runs, so every textual
request field (string, date, timestamp, decimal as text) gets a `maxLength`
safe against every limit its value meets later:

- a key: the value reaches the entity and view fields of the same name and
  every key template that uses them; a partition key (table or index) holds
  at most 2,048 bytes, a sort key 1,024. The template's literal text counts;
  fields with a bound of their own (`max_bytes`, `max_length`, an anchored
  `pattern`, an `enum`, a date's 10 bytes, an int's 20) take it, and the
  fields without one share the rest equally;
- a payload: a Step Functions state's input or output holds at most 256 KiB,
  and the state carries the request once in its `request` and once in the
  result of each step (forward or compensation) that writes an entity; a
  task's payload is a part of it (the step's `input`, never the whole
  request in the context object). The request as JSON text gets
  (256 KiB - 16 KiB reserve) / copies; a character may take 6 bytes of JSON
  (a `\\u` escape), so a field's share in characters is a sixth of its bytes.
  An item holds at most one copy, so items stay far below DynamoDB's 400 KB;
- the saga id names the execution: at most 80 characters.

DynamoDB counts UTF-8 bytes, `maxLength` counts characters: a byte budget
becomes a quarter as many characters (4 bytes each at most), unless the
field's `pattern` confines the whole value to ASCII (anchored with `^` and `$`,
ASCII-only classes). `max_length` and `max_bytes` tighten these bounds.

This error means the spec's own bounds already exceed a limit: a key
template whose bounded fields and literal text add up to more than the key
allows (or leave no byte for its other fields), request fields whose bounds
add up to more than a payload allows, or a saga id allowed more than 80
characters. Tighten the bounds; carry large content by reference.";
    InvalidInput = "S092", "invalid step input",
"A step's `input:` lists what the step receives, and the Lambda payload
carries nothing else (least data: a card token reaches only the step that
charges it, not every function and its logs). Each entry is a request field
(snake_case) or an earlier step (PascalCase), whose output the step then
receives typed, never missing. So an entry must name a request field, or a
step that

- writes an entity (a step without `writes:` has no output to receive),
- and has completed whenever this step runs: an earlier stage, not this step
  itself, a later one, or a sibling branch of the same parallel group.

Each entry may appear once. The saga id and the fields of the root's partition
key are always received and need not be listed.

For example `input: [trip_id, card_tokn]` names no request field; the help
line suggests `card_token`.";
    InputNotDerivable = "S093", "step writes what it does not receive",
"A step writes an entity with a field named like a request field, but its
`input:` does not receive that field, so the function would have to invent
the value. For example `ReserveFlight` writes `FlightReservation.depart_on`
while `input:` lacks `depart_on`.

Add the field to the step's `input:`, or rename the entity field if it means
something else.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_parse_back() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {}", code.as_str());
            assert_eq!(Code::parse(code.as_str()), Some(*code));
            assert!(code.explanation().len() > 40);
        }
    }
}
