//! Prepares a local table for running the service binaries by hand:
//!
//! ```text
//! eval "$(scripts/moto-server.sh env)"
//! cargo run -p trip-e2e --bin trip-local -- [TABLE]      # default TripSagaTable
//! ```
//!
//! Creates `TABLE` on the DynamoDB-wire server at `AWS_ENDPOINT_URL` (shaped
//! like the generated stack's table, stream included) unless it exists,
//! loads the services' demo catalogues (flights NH203 and JL41, hotels
//! PAR-LOUVRE and LON-SOHO, April 2025), and prints the environment a
//! service binary needs.

use trip_testkit::{create_table, sdk_config};

fn main() {
    let table = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "TripSagaTable".to_owned());
    let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") else {
        eprintln!(
            "trip-local: AWS_ENDPOINT_URL is not set; start a server with scripts/moto-server.sh start \
             and eval \"$(scripts/moto-server.sh env)\""
        );
        std::process::exit(2);
    };
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    tokio.block_on(async {
        let client = aws_sdk_dynamodb_client().await;
        let exists = client
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .is_ok();
        if !exists {
            create_table(&client, &table, true).await;
        }
        let store = sagac_runtime::store::DynamoStore::new(
            client,
            sagac_runtime::store::StoreConfig::new(table.clone()),
        );
        if let Err(e) = trip_e2e::seed_demo(&store).await {
            eprintln!("trip-local: seeding {table} failed: {e}");
            std::process::exit(1);
        }
    });
    println!(
        "export TABLE_NAME={table} AWS_ENDPOINT_URL={endpoint} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing"
    );
}

async fn aws_sdk_dynamodb_client() -> trip_testkit::DynamoClient {
    trip_testkit::DynamoClient::new(&sdk_config().await)
}
