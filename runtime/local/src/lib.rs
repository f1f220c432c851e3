//! `sagac-local`: sagas run on this machine, with nothing from AWS.
//!
//! The executor (`sagac-executor`) runs the state machine; this crate gives
//! it the two kinds of Task target a sagac definition calls, built on the
//! runtime:
//!
//! - [`Services`]: the saga's services in process, answering
//!   `arn:aws:states:::lambda:invoke` through the runtime's
//!   [`invoke_step`], exactly what each Lambda binary runs per event (the
//!   payload decoded, the idempotency pre-check, the handler, the error
//!   names), routed by the `FunctionName` placeholder each service's
//!   generated [`ServiceConfig::function`] names;
//! - [`EmbeddedDynamo`]: the `arn:aws:states:::aws-sdk:dynamodb:*` tasks
//!   (the root writes), through DynamoDB's JSON API over a store
//!   ([`DynamoApi`]) with its conditional and transactional semantics.
//!
//! [`targets`] combines them into one [`Router`]. Over the runtime's
//! `MemoryStore` this is `sagac run` with the developers' own handlers;
//! over a `DynamoStore` it is the same saga against a real table.
//!
//! The crate links the runtime without its `aws` feature, so it brings no
//! AWS SDK of its own.

#![deny(missing_docs)]

pub mod runner;
pub mod spec;
pub mod verify;

use std::collections::BTreeMap;
use std::sync::Arc;

use sagac_executor::target::{FunctionError, FunctionFuture, Lambda, LambdaHandler};
use sagac_executor::{Router, TaskError, TaskFuture, TaskRequest, TaskResponse, TaskTarget};
use sagac_runtime::store::Store;
use sagac_runtime::store::api::DynamoApi;
use sagac_runtime::{ServiceConfig, StepHandler, invoke_step};
use serde_json::Value;

/// The saga's services in process, by the function placeholder the
/// definition names each one with.
pub struct Services<'s> {
    store: Arc<dyn Store>,
    by_function: BTreeMap<String, (ServiceConfig, Box<dyn StepHandler + 's>)>,
}

impl<'s> Services<'s> {
    /// No services yet, over `store` (the one the handlers write to; the
    /// idempotency pre-check reads it).
    pub fn new(store: Arc<dyn Store>) -> Self {
        Services {
            store,
            by_function: BTreeMap::new(),
        }
    }

    /// Adds a service: its generated configuration (`Handler::config()`)
    /// and handler.
    #[must_use]
    pub fn with(mut self, config: ServiceConfig, handler: impl StepHandler + 's) -> Self {
        self.by_function
            .insert(config.function.clone(), (config, Box::new(handler)));
        self
    }

    /// The function placeholders served, in order.
    pub fn functions(&self) -> impl Iterator<Item = &str> {
        self.by_function.keys().map(String::as_str)
    }
}

impl LambdaHandler for Services<'_> {
    fn invoke<'a>(
        &'a self,
        function_name: &'a str,
        payload: Value,
        _request: TaskRequest<'a>,
    ) -> FunctionFuture<'a> {
        Box::pin(async move {
            let Some((config, handler)) = self.by_function.get(function_name) else {
                return Err(FunctionError {
                    error_type: "Lambda.ResourceNotFoundException".to_owned(),
                    error_message: format!(
                        "Function not found: {function_name} (served here: {})",
                        self.by_function
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            };
            invoke_step(config, Some(self.store.as_ref()), handler.as_ref(), payload)
                .await
                .map_err(|error| FunctionError {
                    error_type: error.error_name().to_owned(),
                    error_message: error.message(),
                })
        })
    }
}

/// The state machine's DynamoDB tasks against a store, as the SDK
/// integration sends them.
pub struct EmbeddedDynamo<'s> {
    api: DynamoApi<'s>,
}

impl<'s> EmbeddedDynamo<'s> {
    /// DynamoDB's API over `store`'s table.
    pub fn new(store: &'s dyn Store) -> Self {
        EmbeddedDynamo {
            api: DynamoApi::new(store),
        }
    }
}

/// `transactWriteItems` as the API operation `TransactWriteItems`.
fn operation(action: &str) -> String {
    let mut chars = action.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_uppercase().to_string() + chars.as_str()
    })
}

/// Epoch seconds of an RFC 3339 UTC timestamp (`2026-01-01T00:00:00.000Z`),
/// the virtual clock's `State.EnteredTime`.
fn epoch_seconds(timestamp: &str) -> Option<u64> {
    let (date, time) = timestamp.split_once('T')?;
    let mut ymd = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (ymd.next()??, ymd.next()??, ymd.next()??);
    let mut hms = time.get(..8)?.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (h, min, s) = (hms.next()??, hms.next()??, hms.next()??);
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + h * 3600 + min * 60 + s).ok()
}

impl TaskTarget for EmbeddedDynamo<'_> {
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> TaskFuture<'a> {
        Box::pin(async move {
            let action = match sagac_executor::Resource::parse(request.resource) {
                sagac_executor::Resource::Sdk {
                    service: "dynamodb",
                    action,
                } => action,
                _ => {
                    return TaskResponse::err(TaskError::new(
                        "States.Runtime",
                        format!(
                            "state `{}`: {} is not a DynamoDB SDK integration",
                            request.state_name, request.resource
                        ),
                    ));
                }
            };
            let now = request
                .context
                .pointer("/State/EnteredTime")
                .and_then(Value::as_str)
                .and_then(epoch_seconds)
                .unwrap_or_default();
            match self
                .api
                .call(&operation(action), request.parameters, now)
                .await
            {
                Ok(response) => TaskResponse::ok(response),
                Err(error) => TaskResponse::err(TaskError::new(error.asl_error(), error.message)),
            }
        })
    }
}

/// Every Task of a sagac definition answered locally: Lambda tasks by
/// `services`, DynamoDB tasks by `dynamo`.
pub fn targets<'t>(services: Services<'t>, dynamo: EmbeddedDynamo<'t>) -> Router<'t> {
    Router::new()
        .lambda(Lambda(services))
        .sdk("dynamodb", dynamo)
}

/// A definition's `${…}` placeholders replaced by `values` (placeholder
/// name without `${}`, value), as `DefinitionSubstitutions` would: local
/// runs substitute the table name and keep the function placeholders the
/// [`Services`] route by.
pub fn substitute(definition: &str, values: &[(&str, &str)]) -> String {
    let mut text = definition.to_owned();
    for (name, value) in values {
        text = text.replace(&format!("${{{name}}}"), value);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_convert_to_epoch_seconds() {
        assert_eq!(epoch_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            epoch_seconds("2024-02-29T12:34:56.789Z"),
            Some(1_709_210_096)
        );
        assert_eq!(
            epoch_seconds("2026-01-01T00:00:00.000Z"),
            Some(1_767_225_600)
        );
        assert_eq!(epoch_seconds("yesterday"), None);
    }

    #[test]
    fn actions_become_operations() {
        assert_eq!(operation("transactWriteItems"), "TransactWriteItems");
        assert_eq!(operation("putItem"), "PutItem");
    }
}
