//! The stack's KMS key, the single table and the view tables.
//!
//! Every table follows one standard: on-demand billing, point-in-time
//! recovery, encryption with the stack's customer managed key, deletion
//! protection and `Retain` on delete and replacement. The single table adds
//! its GSIs, TTL and the stream the outbox dispatcher and projectors read.
//! A view table's primary key is `PK`/`SK` (a view without a sort key
//! template stores its name as a constant sort key) and each view index
//! `<Index>` is a GSI over `<Index>PK`/`<Index>SK`, the attributes the
//! projector writes.

use serde_json::{Map, Value, json};

use super::Stack;
use super::model::{Resource, att, logical, r, sub};
use crate::ir::{KeyPart, KeyTemplate, View};
use crate::naming::Resource as Aws;

/// Logical id of the stack's KMS key.
pub const KEY: &str = "SagaKey";
/// Logical id of the single table.
pub const TABLE: &str = "SagaTable";
/// Primary key attributes of view tables.
pub const VIEW_PK: &str = "PK";
/// Sort key attribute of view tables.
pub const VIEW_SK: &str = "SK";

/// Logical id of a view's table.
pub fn view_table_id(view: &View) -> String {
    format!("{}Table", logical(&view.name))
}

/// The partition key attribute of a view index.
pub fn view_index_pk(index: &str) -> String {
    format!("{}PK", logical(index))
}

/// The sort key attribute of a view index.
pub fn view_index_sk(index: &str) -> String {
    format!("{}SK", logical(index))
}

/// The sort key template of a view row: the spec's, or the view's name as
/// a constant when the spec gives none.
pub fn view_sk(view: &View) -> KeyTemplate {
    view.sk.clone().unwrap_or_else(|| KeyTemplate {
        parts: vec![KeyPart::Literal(view.name.clone())],
    })
}

pub(super) fn build(stack: &mut Stack<'_>) {
    key(stack);
    table(stack);
    for view in &stack.saga.views {
        view_table(stack, view);
    }
}

fn key(stack: &mut Stack<'_>) {
    let properties = json!({
        "Description": format!("Encrypts the {} saga's tables, queues, logs, environment and metric backups.", stack.saga.name),
        "EnableKeyRotation": true,
        "PendingWindowInDays": 30,
        "KeyPolicy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    // The default key policy: the account administers the key
                    // and IAM policies decide who may use it. Every role of
                    // the stack names this key in its own policy.
                    "Sid": "AccountAdministersKeyThroughIam",
                    "Effect": "Allow",
                    "Principal": { "AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root") },
                    "Action": "kms:*",
                    "Resource": "*"
                },
                {
                    "Sid": "CloudWatchLogsEncryptsThisStacksLogGroups",
                    "Effect": "Allow",
                    "Principal": { "Service": sub("logs.${AWS::Region}.amazonaws.com") },
                    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                    "Resource": "*",
                    "Condition": {
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*")
                        }
                    }
                }
            ]
        },
        "Tags": stack.tags("storage"),
    });
    stack.template.add(
        KEY,
        Resource::new("AWS::KMS::Key", properties)
            .retain()
            .metadata(
                "sagac",
                json!({ "about": "Retained like the tables it encrypts: deleting it would make their backups unreadable." }),
            ),
    );
    let alias_name = stack.named(Aws::KmsAlias, format!("alias/{}", stack.saga.kebab));
    stack.template.add(
        "SagaKeyAlias",
        Resource::new(
            "AWS::KMS::Alias",
            json!({
                "AliasName": alias_name,
                "TargetKeyId": r(KEY),
            }),
        ),
    );
}

fn string_attribute(name: &str) -> Value {
    json!({ "AttributeName": name, "AttributeType": "S" })
}

fn key_schema(pk: &str, sk: Option<&str>) -> Value {
    let mut schema = vec![json!({ "AttributeName": pk, "KeyType": "HASH" })];
    if let Some(sk) = sk {
        schema.push(json!({ "AttributeName": sk, "KeyType": "RANGE" }));
    }
    Value::from(schema)
}

/// Attribute definitions, deduplicated in first-use order.
fn attributes(names: &[&str]) -> Value {
    let mut seen: Vec<&str> = Vec::new();
    for name in names {
        if !seen.contains(name) {
            seen.push(name);
        }
    }
    Value::from(seen.into_iter().map(string_attribute).collect::<Vec<_>>())
}

fn standard_table(stack: &mut Stack<'_>, name: &str, service: &str) -> Map<String, Value> {
    let mut props = Map::new();
    props.insert("TableName".into(), stack.named(Aws::Table, name.to_owned()));
    props.insert("BillingMode".into(), Value::from("PAY_PER_REQUEST"));
    props.insert(
        "PointInTimeRecoverySpecification".into(),
        json!({ "PointInTimeRecoveryEnabled": true }),
    );
    props.insert(
        "SSESpecification".into(),
        json!({ "SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": stack.key_arn() }),
    );
    props.insert("DeletionProtectionEnabled".into(), Value::from(true));
    props.insert("Tags".into(), stack.tags(service));
    props
}

fn table(stack: &mut Stack<'_>) {
    let t = &stack.saga.table;
    let mut names: Vec<&str> = vec![&t.pk, &t.sk];
    for index in &t.indexes {
        names.push(&index.pk);
        if let Some(sk) = &index.sk {
            names.push(sk);
        }
    }
    let mut props = standard_table(stack, &t.name, "storage");
    props.insert("AttributeDefinitions".into(), attributes(&names));
    props.insert("KeySchema".into(), key_schema(&t.pk, Some(&t.sk)));
    if !t.indexes.is_empty() {
        let indexes: Vec<Value> = t
            .indexes
            .iter()
            .map(|i| {
                json!({
                    "IndexName": i.name,
                    "KeySchema": key_schema(&i.pk, i.sk.as_deref()),
                    "Projection": { "ProjectionType": "ALL" },
                })
            })
            .collect();
        props.insert("GlobalSecondaryIndexes".into(), Value::from(indexes));
    }
    if let Some(ttl) = &t.ttl {
        props.insert(
            "TimeToLiveSpecification".into(),
            json!({ "AttributeName": ttl, "Enabled": true }),
        );
    }
    props.insert(
        "StreamSpecification".into(),
        json!({ "StreamViewType": t.stream.as_aws() }),
    );
    let resource = Resource::new("AWS::DynamoDB::Table", Value::Object(props))
        .retain()
        .metadata(
            "sagac",
            json!({ "about": format!(
                "The single table `{}`: entities, outbox items (SK `{}`) and idempotency records of the saga. Its stream feeds the outbox dispatcher and the projectors.",
                t.name, stack.saga.outbox.sk.prefix()
            ) }),
        );
    stack.template.add(TABLE, resource);
}

fn view_table(stack: &mut Stack<'_>, view: &View) {
    let mut names: Vec<String> = vec![VIEW_PK.into(), VIEW_SK.into()];
    let mut indexes = Vec::new();
    for index in &view.indexes {
        let pk = view_index_pk(&index.index);
        let sk = index.sk.as_ref().map(|_| view_index_sk(&index.index));
        names.push(pk.clone());
        if let Some(sk) = &sk {
            names.push(sk.clone());
        }
        indexes.push(json!({
            "IndexName": index.index,
            "KeySchema": key_schema(&pk, sk.as_deref()),
            "Projection": { "ProjectionType": "ALL" },
        }));
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut props = standard_table(stack, &view.table, "views");
    props.insert("AttributeDefinitions".into(), attributes(&refs));
    props.insert("KeySchema".into(), key_schema(VIEW_PK, Some(VIEW_SK)));
    if !indexes.is_empty() {
        props.insert("GlobalSecondaryIndexes".into(), Value::from(indexes));
    }
    let resource = Resource::new("AWS::DynamoDB::Table", Value::Object(props))
        .retain()
        .metadata(
            "sagac",
            json!({ "about": format!(
                "View table of {} (CQRS read side), kept current from the stream by its projector. PK `{}`, SK `{}`.",
                view.name, view.pk, view_sk(view)
            ) }),
        );
    stack.template.add(view_table_id(view), resource);
}

/// The ARN of a table's index.
pub fn index_arn(table_id: &str, index: &str) -> Value {
    sub(format!("${{{table_id}.Arn}}/index/{index}"))
}

/// The ARN of a table.
pub fn table_arn(table_id: &str) -> Value {
    att(table_id, "Arn")
}
