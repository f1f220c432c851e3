//! The event side: the EventBridge bus (with an archive for replays), the
//! outbox dispatcher and one projector per view, each on the table's stream.
//!
//! Each stream consumer gets an event source mapping that filters the
//! records it cares about (the dispatcher: `INSERT`s of `OUTBOX#` items;
//! a projector: `INSERT`/`MODIFY` of its source entity), reports partial
//! batch failures, bisects failing batches, retries a finite number of
//! times and then sends the record to an SQS dead-letter queue (encrypted
//! with the stack key) that an alarm watches.
//!
//! Contract with the runtime crate: the dispatcher reads `TABLE_NAME`,
//! `EVENT_BUS_NAME`, `EVENT_SOURCE` and the table layout the spec declares
//! (`PK_ATTRIBUTE`, `SK_ATTRIBUTE`, `OUTBOX_SK`, `TTL_ATTRIBUTE`,
//! `OUTBOX_TTL_SECONDS`; `sagac_runtime::store::TableLayout::from_env`), reads an outbox item back and
//! deletes it once published (so it may `GetItem` and `DeleteItem` on the
//! table); a projector reads `PROJECTION` (see `sagac_runtime::projector`)
//! and writes its view table with a conditional `PutItem`.

use serde_json::{Map, Value, json};

use super::functions::{self, Code, Function};
use super::model::{Resource, allow, att, r, sub_escape, sub_with};
use super::storage::{
    TABLE, VIEW_PK, VIEW_SK, table_arn, view_index_pk, view_index_sk, view_sk, view_table_id,
};
use super::{Stack, params};
use crate::ir::{Entity, View};
use crate::naming::Resource as Aws;

/// Logical id of the event bus.
pub const BUS: &str = "EventBus";

/// How often a failing stream batch is retried before its records go to
/// the dead-letter queue.
const MAX_RETRIES: u32 = 10;
/// Records older than this (seconds) are sent to the dead-letter queue.
const MAX_RECORD_AGE: u32 = 86_400;
/// Reserved concurrency of a stream consumer: with a parallelization factor
/// of 1 it needs one instance per active shard.
const CONSUMER_CONCURRENCY: u32 = 10;

pub(super) fn bus(stack: &mut Stack<'_>) {
    let saga = stack.saga;
    let physical_name = stack.named(Aws::EventBus, saga.outbox.bus.clone());
    stack.template.add(
        BUS,
        Resource::new(
            "AWS::Events::EventBus",
            json!({
                "Name": physical_name,
                "Description": format!("Domain events of the {} saga, published from the outbox.", saga.name),
                "Tags": stack.tags("events"),
            }),
        ),
    );
    stack.template.add(
        "EventBusArchive",
        Resource::new(
            "AWS::Events::Archive",
            json!({
                "SourceArn": att(BUS, "Arn"),
                "Description": format!("Every {} event, kept for replay.", saga.outbox.source),
                "EventPattern": { "source": [saga.outbox.source] },
                "RetentionDays": saga.observability.log_retention_days,
            }),
        ),
    );
}

pub(super) fn consumers(stack: &mut Stack<'_>) {
    dispatcher(stack);
    let views = stack.saga.views.clone();
    for (i, view) in views.iter().enumerate() {
        projector(stack, view, i == 0);
    }
}

fn stream_statements(stack: &Stack<'_>, dlq: &str) -> Vec<Value> {
    vec![
        allow(
            "ReadTableStream",
            &[
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
            ],
            vec![att(TABLE, "StreamArn")],
        ),
        allow(
            // ListStreams accepts no narrower resource than "*".
            "ListStreams",
            &["dynamodb:ListStreams"],
            vec![Value::from("*")],
        ),
        allow(
            "SendFailedRecords",
            &["sqs:SendMessage"],
            vec![att(dlq, "Arn")],
        ),
        allow(
            // Stream records and the dead-letter queue are encrypted with
            // the stack key.
            "UseStackKey",
            &["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            vec![stack.key_arn()],
        ),
    ]
}

fn dead_letter_queue(stack: &mut Stack<'_>, id: &str, what: &str, service: &str) {
    stack.template.add(
        id,
        Resource::new(
            "AWS::SQS::Queue",
            json!({
                "MessageRetentionPeriod": 1_209_600,
                "KmsMasterKeyId": stack.key_arn(),
                "KmsDataKeyReusePeriodSeconds": 300,
                "Tags": stack.tags(service),
            }),
        )
        .metadata(
            "sagac",
            json!({ "about": format!("Stream records the {what} could not process after its retries (the on-failure destination of its event source mapping). Kept 14 days.") }),
        ),
    );
    stack.template.add(
        format!("{id}Alarm"),
        Resource::new(
            "AWS::CloudWatch::Alarm",
            json!({
                "AlarmDescription": format!("The {what} gave up on stream records: see the dead-letter queue."),
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [{ "Name": "QueueName", "Value": att(id, "QueueName") }],
                "Statistic": "Maximum",
                "Period": 300,
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": stack.alarm_actions(),
            }),
        ),
    );
}

fn consumer_skips(dlq: &str) -> Vec<(&'static str, String)> {
    vec![(
        "CKV_AWS_116",
        format!(
            "Invoked synchronously by its stream event source mapping, never asynchronously; records that still fail after the mapping's retries go to the mapping's on-failure destination {dlq}, the dead-letter queue that applies to stream sources."
        ),
    )]
}

fn iterator_age_alarm(stack: &mut Stack<'_>, function_id: &str, what: &str) {
    stack.template.add(
        format!("{function_id}IteratorAgeAlarm"),
        Resource::new(
            "AWS::CloudWatch::Alarm",
            json!({
                "AlarmDescription": format!("The {what} lags more than a minute behind the table's stream."),
                "Namespace": "AWS/Lambda",
                "MetricName": "IteratorAge",
                "Dimensions": [{ "Name": "FunctionName", "Value": r(function_id) }],
                "Statistic": "Maximum",
                "Period": 60,
                "EvaluationPeriods": 5,
                "Threshold": 60_000,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": stack.alarm_actions(),
            }),
        ),
    );
}

/// A stream event source mapping with the standard failure handling.
fn mapping(
    stack: &mut Stack<'_>,
    id: &str,
    function_id: &str,
    dlq: &str,
    batch: u32,
    filters: Vec<Value>,
) {
    let mut props = Map::new();
    props.insert("EventSourceArn".into(), att(TABLE, "StreamArn"));
    props.insert("FunctionName".into(), r(function_id));
    props.insert("StartingPosition".into(), Value::from("TRIM_HORIZON"));
    props.insert("BatchSize".into(), Value::from(batch));
    props.insert("MaximumBatchingWindowInSeconds".into(), Value::from(1));
    props.insert("ParallelizationFactor".into(), Value::from(1));
    props.insert("BisectBatchOnFunctionError".into(), Value::from(true));
    props.insert("MaximumRetryAttempts".into(), Value::from(MAX_RETRIES));
    props.insert(
        "MaximumRecordAgeInSeconds".into(),
        Value::from(MAX_RECORD_AGE),
    );
    props.insert(
        "FunctionResponseTypes".into(),
        json!(["ReportBatchItemFailures"]),
    );
    props.insert(
        "DestinationConfig".into(),
        json!({ "OnFailure": { "Destination": att(dlq, "Arn") } }),
    );
    if !filters.is_empty() {
        let patterns: Vec<Value> = filters
            .into_iter()
            .map(|p| json!({ "Pattern": serde_json::to_string(&p).unwrap_or_default() }))
            .collect();
        props.insert("FilterCriteria".into(), json!({ "Filters": patterns }));
    }
    stack.template.add(
        id,
        Resource::new("AWS::Lambda::EventSourceMapping", Value::Object(props)),
    );
}

fn dispatcher(stack: &mut Stack<'_>) {
    let saga = stack.saga;
    let id = "OutboxDispatcher";
    let dlq = "OutboxDispatcherDeadLetterQueue";
    dead_letter_queue(stack, dlq, "outbox dispatcher", "outbox-dispatcher");

    let mut statements = stream_statements(stack, dlq);
    statements.push(allow(
        // Read an outbox item back before publishing, delete it after.
        "ReadAndDeleteOutboxItems",
        &["dynamodb:GetItem", "dynamodb:DeleteItem"],
        vec![table_arn(TABLE)],
    ));
    statements.push(allow(
        "PublishEvents",
        &["events:PutEvents"],
        vec![att(BUS, "Arn")],
    ));

    let mut environment = vec![
        ("TABLE_NAME".to_owned(), r(TABLE)),
        ("EVENT_BUS_NAME".to_owned(), r(BUS)),
        (
            "EVENT_SOURCE".to_owned(),
            Value::from(saga.outbox.source.as_str()),
        ),
    ];
    // The generic binary learns the table's layout from here (see
    // `sagac_runtime::store::TableLayout::from_env`).
    environment.push(("PK_ATTRIBUTE".into(), Value::from(saga.table.pk.as_str())));
    environment.push(("SK_ATTRIBUTE".into(), Value::from(saga.table.sk.as_str())));
    environment.push(("OUTBOX_SK".into(), Value::from(saga.outbox.sk.to_string())));
    if let Some(ttl) = &saga.table.ttl {
        environment.push(("TTL_ATTRIBUTE".into(), Value::from(ttl.as_str())));
    }
    environment.push((
        "OUTBOX_TTL_SECONDS".into(),
        Value::from(saga.outbox.ttl_seconds.to_string()),
    ));
    functions::add(
        stack,
        Function {
            id: id.into(),
            stem: crate::naming::function_stem("", &saga.kebab, crate::naming::DISPATCHER_PART),
            description: format!(
                "Publishes the {} saga's outbox events to EventBridge.",
                saga.name
            ),
            code: Code::Artifact(params::DISPATCHER_CODE.into()),
            service: "outbox-dispatcher".into(),
            memory_mb: 256,
            timeout_seconds: 60,
            reserved_concurrency: Some(CONSUMER_CONCURRENCY),
            environment,
            layers: Vec::new(),
            statements,
            skips: consumer_skips(dlq),
            about: Some("Binary `outbox-dispatcher` of the runtime crate.".into()),
        },
    );
    let sk = &saga.table.sk;
    let filter = json!({
        "eventName": ["INSERT"],
        "dynamodb": { "Keys": { sk: { "S": [{ "prefix": saga.outbox.sk.prefix() }] } } },
    });
    mapping(
        stack,
        "OutboxDispatcherStreamMapping",
        id,
        dlq,
        10,
        vec![filter],
    );
    iterator_age_alarm(stack, id, "outbox dispatcher");
}

/// The stream filter for items of `entity`: its key prefixes.
fn entity_filter(stack: &Stack<'_>, entity: &Entity) -> Value {
    let table = &stack.saga.table;
    let mut keys = Map::new();
    if !entity.pk.prefix().is_empty() {
        keys.insert(
            table.pk.clone(),
            json!({ "S": [{ "prefix": entity.pk.prefix() }] }),
        );
    }
    if !entity.sk.prefix().is_empty() {
        keys.insert(
            table.sk.clone(),
            json!({ "S": [{ "prefix": entity.sk.prefix() }] }),
        );
    }
    let mut filter = Map::new();
    filter.insert("eventName".into(), json!(["INSERT", "MODIFY"]));
    if !keys.is_empty() {
        filter.insert("dynamodb".into(), json!({ "Keys": keys }));
    }
    Value::Object(filter)
}

/// The `PROJECTION` configuration of a view's projector (see
/// `sagac_runtime::projector`), with the view table's name as `${Table}`.
pub fn projection(stack: &Stack<'_>, view: &View, with_metrics: bool) -> Value {
    let saga = stack.saga;
    let source_prefix = saga
        .entity(&view.source)
        .map(|e| e.sk.prefix().to_owned())
        .unwrap_or_default();
    let indexes: Vec<Value> = view
        .indexes
        .iter()
        .map(|i| {
            let mut index = Map::new();
            index.insert("name".into(), Value::from(i.index.as_str()));
            index.insert("pk_attr".into(), Value::from(view_index_pk(&i.index)));
            if let Some(sk) = &i.sk {
                index.insert("sk_attr".into(), Value::from(view_index_sk(&i.index)));
                index.insert("pk".into(), Value::from(i.pk.to_string()));
                index.insert("sk".into(), Value::from(sk.to_string()));
            } else {
                index.insert("pk".into(), Value::from(i.pk.to_string()));
            }
            Value::Object(index)
        })
        .collect();
    let mut config = json!({
        "view_table": "${Table}",
        "pk_attr": VIEW_PK,
        "sk_attr": VIEW_SK,
        "source_sk_attr": saga.table.sk,
        "views": [{
            "name": view.name,
            "source_sk_prefix": source_prefix,
            "pk": view.pk.to_string(),
            "sk": view_sk(view).to_string(),
            "fields": view.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            "indexes": indexes,
        }],
    });
    let metrics = if with_metrics {
        metric_rules(stack)
    } else {
        Vec::new()
    };
    if !metrics.is_empty() {
        config["metrics"] = Value::from(metrics);
    }
    config
}

/// The business metrics of the saga's terminal transitions, as projector
/// rules on the root entity's status field.
fn metric_rules(stack: &Stack<'_>) -> Vec<Value> {
    let saga = stack.saga;
    let root = saga.root_entity();
    let prefix = root.sk.prefix();
    let rule = |name: &str, value: &str| json!({ "name": name, "source_sk_prefix": prefix, "field": saga.root.status_field, "value": value });
    let mut out = Vec::new();
    if let Some(name) = &saga.observability.completed_metric {
        out.push(rule(name, &saga.root.success.status));
    }
    if let Some(name) = &saga.observability.compensation_metric {
        out.push(rule(name, &saga.root.failure.status));
        out.push(rule(name, &saga.root.compensation_failure.status));
    }
    out
}

fn projector(stack: &mut Stack<'_>, view: &View, with_metrics: bool) {
    let saga = stack.saga;
    let table_id = view_table_id(view);
    let id = format!("{}Projector", super::model::logical(&view.name));
    let dlq = format!("{id}DeadLetterQueue");
    let part = crate::naming::projector_part(view);
    dead_letter_queue(
        stack,
        &dlq,
        &format!("{} projector", view.name),
        "projector",
    );

    let mut statements = stream_statements(stack, &dlq);
    statements.push(allow(
        // Conditional puts guarded by the row's view_version.
        "WriteViewRows",
        &["dynamodb:PutItem"],
        vec![table_arn(&table_id)],
    ));
    let config = projection(stack, view, with_metrics);
    let text = sub_escape(&serde_json::to_string(&config).unwrap_or_default())
        .replace("${!Table}", "${Table}");
    let environment = vec![(
        "PROJECTION".to_owned(),
        sub_with(text, json!({ "Table": r(&table_id) })),
    )];
    functions::add(
        stack,
        Function {
            id: id.clone(),
            stem: crate::naming::function_stem("", &saga.kebab, &part),
            description: format!(
                "Keeps the {} view table current from the stream.",
                view.name
            ),
            code: Code::Artifact(params::PROJECTOR_CODE.into()),
            service: "projector".into(),
            memory_mb: 256,
            timeout_seconds: 60,
            reserved_concurrency: Some(CONSUMER_CONCURRENCY),
            environment,
            layers: Vec::new(),
            statements,
            skips: consumer_skips(&dlq),
            about: Some(format!(
                "Binary `projector` of the runtime crate; PROJECTION configures the {} view{}.",
                view.name,
                if with_metrics {
                    " and the saga's business metrics"
                } else {
                    ""
                }
            )),
        },
    );
    let mut filters = Vec::new();
    if let Some(entity) = saga.entity(&view.source) {
        filters.push(entity_filter(stack, entity));
    }
    if with_metrics && !metric_rules(stack).is_empty() {
        let root = entity_filter(stack, saga.root_entity());
        if !filters.contains(&root) {
            filters.push(root);
        }
    }
    mapping(
        stack,
        &format!("{id}StreamMapping"),
        &id,
        &dlq,
        100,
        filters,
    );
    iterator_age_alarm(stack, &id, &format!("{} projector", view.name));
}
