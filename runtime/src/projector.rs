//! The projector: stream → query-optimised view table (CQRS read side).
//!
//! Configuration comes from the `PROJECTION` environment variable, JSON the
//! compiler writes into the template:
//!
//! ```json
//! {"view_table": "TripViewTable", "pk_attr": "PK", "sk_attr": "SK", "source_sk_attr": "SK",
//!  "views": [{"name": "TripView", "source_sk_prefix": "METADATA",
//!             "pk": "CUSTOMER#{customer_id}", "sk": "TRIP#{trip_id}",
//!             "fields": ["trip_id", "status"],
//!             "indexes": [{"name": "ByStatus", "pk_attr": "ByStatusPK", "sk_attr": "ByStatusSK",
//!                          "pk": "STATUS#{status}", "sk": "{created_at}"}]}],
//!  "metrics": [{"name": "trip.booking.completed", "source_sk_prefix": "METADATA",
//!               "field": "status", "value": "CONFIRMED"}]}
//! ```
//!
//! Each `INSERT`/`MODIFY` of an item whose sort key starts with a view's
//! `source_sk_prefix` upserts one row: the listed fields, the rendered index
//! attributes, and `view_version`. The put is conditional on
//! `attribute_not_exists(PK) OR view_version < :v`, so a replayed or
//! reordered record never regresses a row, and any delivery order
//! converges to the row of the newest record. `view_version` is
//! `{version:020}#{sequence:0>40}`: the entity's `version` attribute (0 if
//! it has none) then the stream sequence number, both zero-padded so that
//! string order is numeric order. The version decides across writers; the
//! sequence number orders writes that did not bump the version (such as the
//! state machine's own status update).
//!
//! A record whose view key fields are missing is skipped with an error log
//! line (retrying cannot fix it); a missing index field leaves the index
//! attributes out (a sparse index). `REMOVE` records are ignored: entities
//! are not deleted in a saga, and a view row outlives an expired item.
//! Write failures other than the version guard report the record in
//! `batchItemFailures`.
//!
//! The optional `metrics` rules emit a DogStatsD count when a record moves a
//! field to a value (e.g. a trip becoming `CONFIRMED`): the business
//! metrics of the saga's terminal transitions, which no Lambda step sees.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::attribute::Item;
use crate::observe;
use crate::store::{Condition, Key, Store, StoreError, WriteOp};
use crate::stream::{BatchResponse, EventName, StreamRecord, parse_records};
use crate::template::KeyTemplate;

/// The attribute holding a view row's guard version.
pub const VIEW_VERSION_ATTRIBUTE: &str = "view_version";

/// The `PROJECTION` configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProjectionConfig {
    /// The view table.
    pub view_table: String,
    /// Its partition key attribute.
    pub pk_attr: String,
    /// Its sort key attribute.
    pub sk_attr: String,
    /// The sort key attribute of the source table (the spec's `table.sk`).
    pub source_sk_attr: String,
    /// The views kept in it.
    pub views: Vec<ViewConfig>,
    /// Business metrics emitted on field transitions.
    #[serde(default)]
    pub metrics: Vec<TransitionMetric>,
}

/// One view.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ViewConfig {
    /// The view's name (logs).
    pub name: String,
    /// Source items: sort keys starting with this (`METADATA`, `FLIGHT#`).
    pub source_sk_prefix: String,
    /// The row's partition key template.
    pub pk: KeyTemplate,
    /// The row's sort key template.
    pub sk: KeyTemplate,
    /// The fields copied from the source item.
    pub fields: Vec<String>,
    /// Index key attributes written on the row.
    #[serde(default)]
    pub indexes: Vec<ViewIndex>,
}

/// Key attributes of one view-table index.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ViewIndex {
    /// The index name.
    pub name: String,
    /// Its partition key attribute.
    pub pk_attr: String,
    /// Its sort key attribute, if the index has one.
    #[serde(default)]
    pub sk_attr: Option<String>,
    /// Partition key template.
    pub pk: KeyTemplate,
    /// Sort key template.
    #[serde(default)]
    pub sk: Option<KeyTemplate>,
}

/// A count emitted when a source item's field becomes a value.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TransitionMetric {
    /// The metric name, e.g. `trip.booking.completed`.
    pub name: String,
    /// Source items: sort keys starting with this.
    pub source_sk_prefix: String,
    /// The field watched.
    pub field: String,
    /// The value that triggers the metric.
    pub value: Value,
}

impl ProjectionConfig {
    /// Parses the JSON configuration.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut de)
            .map_err(|e| format!("PROJECTION: `{}`: {}", e.path(), e.inner()))
    }

    /// Reads `PROJECTION`.
    pub fn from_env() -> Result<Self, String> {
        let text = std::env::var("PROJECTION")
            .map_err(|_| "environment variable PROJECTION is not set".to_owned())?;
        Self::parse(&text)
    }
}

/// What happened to a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectionReport {
    /// Rows written.
    pub written: usize,
    /// Writes refused by the version guard (replays, reordering).
    pub stale: usize,
    /// Records skipped (no matching view, missing key fields, REMOVE).
    pub skipped: usize,
    /// The partial batch response.
    pub response: BatchResponse,
}

/// The guard version of a record: entity version, then sequence number.
pub fn view_version(image: &Item, sequence_number: &str) -> String {
    let version = image.get("version").and_then(Value::as_u64).unwrap_or(0);
    format!("{version:020}#{sequence_number:0>40}")
}

/// The view row a source item projects to, or why it cannot.
pub fn project_row(view: &ViewConfig, image: &Item, version: &str) -> Result<(Key, Item), String> {
    let pk = view.pk.render(image).map_err(|e| e.to_string())?;
    let sk = view.sk.render(image).map_err(|e| e.to_string())?;
    let mut row = Map::new();
    for field in &view.fields {
        if let Some(v) = image.get(field) {
            row.insert(field.clone(), v.clone());
        }
    }
    for index in &view.indexes {
        let Ok(ipk) = index.pk.render(image) else {
            continue;
        };
        let isk = match (&index.sk_attr, &index.sk) {
            (Some(attr), Some(t)) => match t.render(image) {
                Ok(v) => Some((attr.clone(), v)),
                Err(_) => continue,
            },
            _ => None,
        };
        row.insert(index.pk_attr.clone(), Value::from(ipk));
        if let Some((attr, v)) = isk {
            row.insert(attr, Value::from(v));
        }
    }
    row.insert(VIEW_VERSION_ATTRIBUTE.into(), Value::from(version));
    Ok((Key::new(pk, sk), row))
}

/// Processes one stream batch against the view store.
pub async fn project(
    event: &Value,
    views: &dyn Store,
    config: &ProjectionConfig,
) -> ProjectionReport {
    let mut report = ProjectionReport::default();
    for record in parse_records(event) {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(reason = e.reason.as_str(), "undecodable stream record");
                match e.sequence_number {
                    Some(seq) => report.response.fail(&seq),
                    None => report.skipped += 1,
                }
                continue;
            }
        };
        let image = match (&record.event_name, &record.new_image) {
            (EventName::Insert | EventName::Modify, Some(image)) => image,
            _ => {
                report.skipped += 1;
                continue;
            }
        };
        let Some(sk) = image.get(&config.source_sk_attr).and_then(Value::as_str) else {
            report.skipped += 1;
            continue;
        };
        emit_transition_metrics(config, &record, image, sk);
        let matching: Vec<&ViewConfig> = config
            .views
            .iter()
            .filter(|v| sk.starts_with(v.source_sk_prefix.as_str()))
            .collect();
        if matching.is_empty() {
            report.skipped += 1;
            continue;
        }
        let version = view_version(image, &record.sequence_number);
        for view in matching {
            let (key, row) = match project_row(view, image, &version) {
                Ok(r) => r,
                Err(reason) => {
                    tracing::error!(
                        view = view.name.as_str(),
                        reason,
                        "record cannot be projected; skipped"
                    );
                    report.skipped += 1;
                    continue;
                }
            };
            let guard = Condition::ItemNotExists
                .or(Condition::lt(VIEW_VERSION_ATTRIBUTE, version.as_str()));
            match views.write(WriteOp::put(key, row).when(guard)).await {
                Ok(()) => report.written += 1,
                Err(StoreError::ConditionFailed { .. }) => report.stale += 1,
                Err(e) => {
                    tracing::warn!(
                        view = view.name.as_str(),
                        error = %e,
                        "view write failed; will retry"
                    );
                    report.response.fail(&record.sequence_number);
                }
            }
        }
    }
    report
}

fn emit_transition_metrics(
    config: &ProjectionConfig,
    record: &StreamRecord,
    image: &Item,
    sk: &str,
) {
    for rule in &config.metrics {
        if !sk.starts_with(rule.source_sk_prefix.as_str())
            || image.get(&rule.field) != Some(&rule.value)
        {
            continue;
        }
        let before = record
            .old_image
            .as_ref()
            .and_then(|old| old.get(&rule.field));
        if before != Some(&rule.value) {
            observe::increment(&rule.name, &[]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> ProjectionConfig {
        ProjectionConfig::parse(
            r#"{"view_table": "V", "pk_attr": "PK", "sk_attr": "SK", "source_sk_attr": "SK", "views": [{"name": "TripView", "source_sk_prefix": "METADATA",
                "pk": "CUSTOMER#{customer_id}", "sk": "TRIP#{trip_id}", "fields": ["trip_id", "status", "note"],
                "indexes": [{"name": "ByStatus", "pk_attr": "ByStatusPK", "sk_attr": "ByStatusSK",
                             "pk": "STATUS#{status}", "sk": "{created_at}"},
                            {"name": "ByTrip", "pk_attr": "ByTripPK", "pk": "{trip_id}"}]}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn parses_configuration_and_reports_bad_templates() {
        let c = config();
        assert_eq!(c.views[0].indexes.len(), 2);
        let e = ProjectionConfig::parse(r#"{"view_table": "V", "pk_attr": "PK", "sk_attr": "SK", "source_sk_attr": "SK", "views": [{"name": "X", "source_sk_prefix": "M", "pk": "A#{", "sk": "B", "fields": []}]}"#)
            .unwrap_err();
        assert!(e.contains("views[0].pk"), "{e}");
    }

    #[test]
    fn projects_fields_and_sparse_indexes() {
        let c = config();
        let image = json!({"PK": "TRIP#1", "SK": "METADATA", "trip_id": "1", "customer_id": "c",
                           "status": "PENDING", "version": 3, "secret": "x"});
        let (key, row) = project_row(&c.views[0], image.as_object().unwrap(), "v").unwrap();
        assert_eq!(key, Key::new("CUSTOMER#c", "TRIP#1"));
        assert_eq!(row["status"], "PENDING");
        assert!(!row.contains_key("secret"));
        assert!(!row.contains_key("note"));
        assert!(
            !row.contains_key("ByStatusPK"),
            "created_at missing: no ByStatus keys"
        );
        assert_eq!(row["ByTripPK"], "1");
        let no_customer = json!({"SK": "METADATA", "trip_id": "1"});
        assert!(project_row(&c.views[0], no_customer.as_object().unwrap(), "v").is_err());
    }

    #[test]
    fn view_versions_order_by_version_then_sequence() {
        let v = |version: Option<u64>, seq: &str| {
            let mut image = Map::new();
            if let Some(version) = version {
                image.insert("version".into(), json!(version));
            }
            view_version(&image, seq)
        };
        assert!(v(Some(2), "100") > v(Some(1), "900"));
        assert!(v(Some(2), "1000") > v(Some(2), "999"));
        assert!(v(None, "1000") > v(None, "999"));
    }
}
