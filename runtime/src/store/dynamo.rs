//! [`Store`] over DynamoDB.
//!
//! Endpoint, region and credentials come from the standard AWS
//! configuration chain ([`crate::aws::sdk_config`]),
//! which honours `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL`: that is
//! how tests and local runs point the store at a DynamoDB-compatible server.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update as DdbUpdate,
};

use super::expr::Expressions;
use super::{
    FailedCondition, Item, Key, Query, Store, StoreConfig, StoreError, WriteAction, WriteOp,
    validate_transaction,
};
use crate::BoxFuture;
use crate::attribute::{from_attributes, to_attributes};

/// The repository over one DynamoDB table.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    config: StoreConfig,
}

impl DynamoStore {
    /// A store over an existing client.
    pub fn new(client: Client, config: StoreConfig) -> Self {
        Self { client, config }
    }

    /// Loads the AWS configuration from the environment (region,
    /// credentials, `AWS_ENDPOINT_URL*`) and the table settings from
    /// [`StoreConfig::from_env`] (the layout too, as the generic binaries
    /// get it).
    pub async fn from_env() -> Result<Self, StoreError> {
        Self::from_env_with(StoreConfig::from_env()?).await
    }

    /// Loads the AWS configuration from the environment over the given
    /// table settings (what generated service code does, with its layout
    /// compiled in and `TABLE_NAME` from the environment).
    pub async fn from_env_with(config: StoreConfig) -> Result<Self, StoreError> {
        let sdk = crate::aws::sdk_config().await;
        Ok(Self::new(Client::new(&sdk), config))
    }

    /// The underlying SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn key_attributes(&self, key: &Key) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (
                self.config.pk_attribute.clone(),
                AttributeValue::S(key.pk.clone()),
            ),
            (
                self.config.sk_attribute.clone(),
                AttributeValue::S(key.sk.clone()),
            ),
        ])
    }

    fn transact_item(&self, op: &WriteOp) -> Result<TransactWriteItem, StoreError> {
        let table = &self.config.table_name;
        let mut e = Expressions::default();
        let condition = op
            .condition
            .as_ref()
            .map(|c| e.condition(c, &self.config.pk_attribute));
        let built = match &op.action {
            WriteAction::Put(item) => {
                let item = to_attributes(&self.config.with_key(&op.key, item.clone()));
                let put = Put::builder()
                    .table_name(table)
                    .set_item(Some(item))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(e.names())
                    .set_expression_attribute_values(e.values())
                    .build();
                put.map(|p| TransactWriteItem::builder().put(p).build())
            }
            WriteAction::Update(update) => {
                let expression = non_empty_update(&mut e, update, &op.key)?;
                let update = DdbUpdate::builder()
                    .table_name(table)
                    .set_key(Some(self.key_attributes(&op.key)))
                    .update_expression(expression)
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(e.names())
                    .set_expression_attribute_values(e.values())
                    .build();
                update.map(|u| TransactWriteItem::builder().update(u).build())
            }
            WriteAction::Delete => Delete::builder()
                .table_name(table)
                .set_key(Some(self.key_attributes(&op.key)))
                .set_condition_expression(condition)
                .set_expression_attribute_names(e.names())
                .set_expression_attribute_values(e.values())
                .build()
                .map(|d| TransactWriteItem::builder().delete(d).build()),
            WriteAction::Check => {
                let Some(condition) = condition else {
                    return Err(StoreError::InvalidChange {
                        reason: format!("condition check on {} has no condition", op.key),
                    });
                };
                ConditionCheck::builder()
                    .table_name(table)
                    .set_key(Some(self.key_attributes(&op.key)))
                    .condition_expression(condition)
                    .set_expression_attribute_names(e.names())
                    .set_expression_attribute_values(e.values())
                    .build()
                    .map(|c| TransactWriteItem::builder().condition_check(c).build())
            }
        };
        built.map_err(|err| StoreError::InvalidChange {
            reason: err.to_string(),
        })
    }

    async fn write_single(&self, op: WriteOp) -> Result<(), StoreError> {
        let table = &self.config.table_name;
        let mut e = Expressions::default();
        let condition = op
            .condition
            .as_ref()
            .map(|c| e.condition(c, &self.config.pk_attribute));
        match &op.action {
            WriteAction::Put(item) => self
                .client
                .put_item()
                .table_name(table)
                .set_item(Some(to_attributes(
                    &self.config.with_key(&op.key, item.clone()),
                )))
                .set_condition_expression(condition)
                .set_expression_attribute_names(e.names())
                .set_expression_attribute_values(e.values())
                .send()
                .await
                .map(drop)
                .map_err(|err| classify(err, Some(&op))),
            WriteAction::Update(update) => {
                let expression = non_empty_update(&mut e, update, &op.key)?;
                self.client
                    .update_item()
                    .table_name(table)
                    .set_key(Some(self.key_attributes(&op.key)))
                    .update_expression(expression)
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(e.names())
                    .set_expression_attribute_values(e.values())
                    .send()
                    .await
                    .map(drop)
                    .map_err(|err| classify(err, Some(&op)))
            }
            WriteAction::Delete => self
                .client
                .delete_item()
                .table_name(table)
                .set_key(Some(self.key_attributes(&op.key)))
                .set_condition_expression(condition)
                .set_expression_attribute_names(e.names())
                .set_expression_attribute_values(e.values())
                .send()
                .await
                .map(drop)
                .map_err(|err| classify(err, Some(&op))),
            WriteAction::Check => self.transact_ops(vec![op]).await,
        }
    }

    async fn transact_ops(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        validate_transaction(&ops)?;
        let items = ops
            .iter()
            .map(|op| self.transact_item(op))
            .collect::<Result<Vec<_>, _>>()?;
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) => Err(match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    cancellation(cancelled.cancellation_reasons(), &ops, &err.to_string())
                }
                _ => classify(err, None),
            }),
        }
    }

    async fn get_item(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.config.table_name)
            .set_key(Some(self.key_attributes(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| classify(err, None))?;
        out.item()
            .map(from_attributes)
            .transpose()
            .map_err(StoreError::from)
    }

    async fn query_items(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
        let mut e = Expressions::default();
        let pk_attr = query
            .pk_attribute
            .as_deref()
            .unwrap_or(&self.config.pk_attribute);
        let mut condition = super::Condition::eq(pk_attr, query.pk.clone());
        if let Some(prefix) = &query.sk_prefix {
            let sk_attr = query
                .sk_attribute
                .as_deref()
                .unwrap_or(&self.config.sk_attribute);
            condition = condition.and(super::Condition::BeginsWith(
                sk_attr.to_owned(),
                prefix.clone(),
            ));
        }
        // Key conditions take no parentheses around the parts.
        let expression = match &condition {
            super::Condition::And(parts) => parts
                .iter()
                .map(|c| e.condition(c, pk_attr))
                .collect::<Vec<_>>()
                .join(" AND "),
            single => e.condition(single, pk_attr),
        };
        let mut items = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.config.table_name)
                .set_index_name(query.index.clone())
                .key_condition_expression(&expression)
                .set_expression_attribute_names(e.names())
                .set_expression_attribute_values(e.values())
                .set_consistent_read(query.index.is_none().then_some(true))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|err| classify(err, None))?;
            for item in out.items() {
                items.push(from_attributes(item)?);
            }
            match out.last_evaluated_key() {
                Some(last) if !last.is_empty() => start = Some(last.clone()),
                _ => break,
            }
        }
        Ok(items)
    }
}

fn non_empty_update(
    e: &mut Expressions,
    update: &super::Update,
    key: &Key,
) -> Result<String, StoreError> {
    if update.actions.is_empty() {
        return Err(StoreError::InvalidChange {
            reason: format!("update of {key} has no actions"),
        });
    }
    Ok(e.update(update))
}

/// Error codes that mean "try again".
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
    "TransactionInProgressException",
    "LimitExceededException",
];

/// Reason codes in a transaction cancellation that mean "try again".
const TRANSIENT_REASONS: &[&str] = &[
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
];

fn classify<E>(err: SdkError<E, HttpResponse>, op: Option<&WriteOp>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::Transient {
                message: aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string(),
            }
        }
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("Unknown").to_owned();
            let message = service.err().message().unwrap_or_default().to_owned();
            let status = service.raw().status().as_u16();
            if let Some(op) = op.filter(|_| code == "ConditionalCheckFailedException") {
                let failed = vec![FailedCondition {
                    key: op.key.clone(),
                    label: op.label.clone(),
                    versioned: op.expected_version.is_some(),
                }];
                return StoreError::from_failed(failed, std::slice::from_ref(op));
            }
            if TRANSIENT_CODES.contains(&code.as_str()) || status >= 500 {
                StoreError::Transient {
                    message: format!("{code}: {message}"),
                }
            } else {
                StoreError::Service { code, message }
            }
        }
        _ => StoreError::Service {
            code: "Client".into(),
            message: aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string(),
        },
    }
}

fn cancellation(
    reasons: &[aws_sdk_dynamodb::types::CancellationReason],
    ops: &[WriteOp],
    message: &str,
) -> StoreError {
    let mut failed = Vec::new();
    let mut transient = false;
    let mut other = None;
    for (op, reason) in ops.iter().zip(reasons) {
        match reason.code() {
            None | Some("None") => {}
            Some("ConditionalCheckFailed") => failed.push(FailedCondition {
                key: op.key.clone(),
                label: op.label.clone(),
                versioned: op.expected_version.is_some(),
            }),
            Some(code) if TRANSIENT_REASONS.contains(&code) => transient = true,
            Some(code) => {
                other = Some(format!(
                    "{code} on {}: {}",
                    op.key,
                    reason.message().unwrap_or_default()
                ))
            }
        }
    }
    if !failed.is_empty() {
        StoreError::from_failed(failed, ops)
    } else if transient {
        StoreError::Transient {
            message: message.to_owned(),
        }
    } else {
        StoreError::Service {
            code: "TransactionCanceledException".into(),
            message: other.unwrap_or_else(|| message.to_owned()),
        }
    }
}

impl Store for DynamoStore {
    fn config(&self) -> &StoreConfig {
        &self.config
    }

    fn get<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<Option<Item>, StoreError>> {
        Box::pin(self.get_item(key))
    }

    fn query<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Vec<Item>, StoreError>> {
        Box::pin(self.query_items(query))
    }

    fn write(&self, op: WriteOp) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.write_single(op))
    }

    fn transact(&self, ops: Vec<WriteOp>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.transact_ops(ops))
    }
}
