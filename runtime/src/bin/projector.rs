//! `projector`: the Lambda on the table's stream that keeps the CQRS view
//! table current.
//!
//! Environment: `PROJECTION` (JSON, see `sagac_runtime::projector`) and the
//! standard AWS variables. The event source mapping must enable
//! `ReportBatchItemFailures`.

use std::sync::Arc;

use sagac_runtime::projector::{ProjectionConfig, project};
use sagac_runtime::store::{DynamoStore, StoreConfig};

fn main() -> Result<(), lambda_runtime::Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            sagac_runtime::observe::log::init();
            let config = ProjectionConfig::from_env()?;
            let sdk = sagac_runtime::aws::sdk_config().await;
            let mut store_config = StoreConfig::new(config.view_table.clone());
            store_config.pk_attribute = config.pk_attr.clone();
            store_config.sk_attribute = config.sk_attr.clone();
            let views = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), store_config);
            let shared = Arc::new((config, views));
            lambda_runtime::run(lambda_runtime::service_fn(
                move |event: lambda_runtime::LambdaEvent<serde_json::Value>| {
                    let shared = Arc::clone(&shared);
                    async move {
                        let (config, views) = &*shared;
                        let report = project(&event.payload, views, config).await;
                        Ok::<_, lambda_runtime::Error>(report.response.to_json())
                    }
                },
            ))
            .await
        })
}
