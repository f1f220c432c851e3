//! `outbox-dispatcher`: the Lambda on the table's stream (filtered to
//! `OUTBOX#` items) that publishes outbox events to EventBridge.
//!
//! Environment: `TABLE_NAME`, `EVENT_BUS_NAME`, `EVENT_SOURCE`, and the
//! standard AWS variables (including `AWS_ENDPOINT_URL*` for local runs).
//! The event source mapping must enable `ReportBatchItemFailures`.

use std::sync::Arc;

use sagac_runtime::dispatcher::{DispatcherConfig, EventBridgePublisher, dispatch};
use sagac_runtime::store::{DynamoStore, StoreConfig};

fn main() -> Result<(), lambda_runtime::Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            sagac_runtime::observe::log::init();
            let config = DispatcherConfig::from_env()?;
            let sdk = sagac_runtime::aws::sdk_config().await;
            let store = DynamoStore::new(
                aws_sdk_dynamodb::Client::new(&sdk),
                StoreConfig::from_env()?,
            );
            let publisher = EventBridgePublisher::new(aws_sdk_eventbridge::Client::new(&sdk));
            let shared = Arc::new((config, store, publisher));
            lambda_runtime::run(lambda_runtime::service_fn(
                move |event: lambda_runtime::LambdaEvent<serde_json::Value>| {
                    let shared = Arc::clone(&shared);
                    async move {
                        let (config, store, publisher) = &*shared;
                        let report = dispatch(&event.payload, store, publisher, config).await;
                        Ok::<_, lambda_runtime::Error>(report.response.to_json())
                    }
                },
            ))
            .await
        })
}
