//! The outbox dispatcher: stream → EventBridge, at least once, without
//! duplicates in the normal case.
//!
//! For every `INSERT` of an `OUTBOX#` item in a stream batch:
//!
//! 1. **De-duplicate.** The outbox item is read back (consistent read); if
//!    it is gone, an earlier delivery of this record already published it
//!    and deleted it, so it is skipped. Within a batch, an event id is sent
//!    once.
//! 2. **Publish.** `PutEvents` takes at most 10 entries (and 256 KiB) per
//!    call and fails per entry, so entries go in chunks and only the failed
//!    entries are sent again, up to `max_attempts` times with backoff.
//!    `Detail` is the outbox payload plus `event_id`, `DetailType` the event
//!    type, `Source` and the bus come from the configuration.
//! 3. **Delete** the outbox item, conditional on it still existing. This is
//!    the publication marker that makes step 1 work. A failed delete is
//!    logged, not reported: the event is out, and the item's TTL (if any)
//!    cleans up. Consumers de-duplicate by event id for the remaining window.
//! 4. **Report** the records whose events could not be published (or whose
//!    outbox item could not be read or decoded) as `batchItemFailures`, so
//!    Lambda delivers them again and, after its retries, to the DLQ.
//!
//! Everything here is a library function over two traits ([`Store`] and
//! [`EventPublisher`]), so it runs without the Lambda runtime and against
//! fakes.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::Value;

use crate::BoxFuture;
use crate::observe;
use crate::store::{Condition, Key, OutboxEvent, Store, StoreError, WriteOp};
use crate::stream::{BatchResponse, EventName, parse_records};

/// EventBridge's limit of entries per `PutEvents` call.
pub const MAX_ENTRIES_PER_CALL: usize = 10;
/// EventBridge's limit of bytes per `PutEvents` call.
pub const MAX_BYTES_PER_CALL: usize = 256 * 1024;

/// Dispatcher settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatcherConfig {
    /// The bus name or ARN (env `EVENT_BUS_NAME`).
    pub event_bus: String,
    /// `Source` of every event (env `EVENT_SOURCE`).
    pub source: String,
    /// Attempts per entry, the first included.
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles after each.
    pub initial_backoff: Duration,
}

impl DispatcherConfig {
    /// Settings with 3 attempts and a 100 ms initial backoff.
    pub fn new(event_bus: impl Into<String>, source: impl Into<String>) -> Self {
        Self {
            event_bus: event_bus.into(),
            source: source.into(),
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
        }
    }

    /// Reads `EVENT_BUS_NAME` and `EVENT_SOURCE`.
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| {
            std::env::var(name).map_err(|_| format!("environment variable {name} is not set"))
        };
        Ok(Self::new(var("EVENT_BUS_NAME")?, var("EVENT_SOURCE")?))
    }
}

/// One `PutEvents` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishEntry {
    /// The outbox event id (for logs and the de-duplication bookkeeping).
    pub event_id: String,
    /// The bus.
    pub event_bus: String,
    /// `Source`.
    pub source: String,
    /// `DetailType`.
    pub detail_type: String,
    /// `Detail`, a JSON object as text.
    pub detail: String,
    /// `Time`, RFC 3339.
    pub time: Option<String>,
}

impl PublishEntry {
    /// The entry for an outbox event.
    pub fn for_event(event: &OutboxEvent, config: &DispatcherConfig) -> Self {
        let mut detail = event.payload.clone();
        detail.insert("event_id".into(), Value::from(event.event_id.as_str()));
        Self {
            event_id: event.event_id.clone(),
            event_bus: config.event_bus.clone(),
            source: config.source.clone(),
            detail_type: event.event_type.clone(),
            detail: Value::Object(detail).to_string(),
            time: Some(event.occurred_at.clone()),
        }
    }

    /// The size EventBridge counts against the request limit.
    pub fn size(&self) -> usize {
        self.source.len() + self.detail_type.len() + self.detail.len() + self.event_bus.len() + 14
    }
}

/// The outcome of one entry in a `PutEvents` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryOutcome {
    /// Accepted.
    Published,
    /// Rejected, with EventBridge's error code and message.
    Failed {
        /// e.g. `ThrottlingException`, `InternalFailure`.
        code: String,
        /// The message.
        message: String,
    },
}

/// Something that publishes events: EventBridge, or a fake in tests.
pub trait EventPublisher: Send + Sync {
    /// Sends up to 10 entries in one call. Returns one outcome per entry, in
    /// order; `Err` means the whole call failed (every entry unpublished).
    fn put_events<'a>(
        &'a self,
        entries: &'a [PublishEntry],
    ) -> BoxFuture<'a, Result<Vec<EntryOutcome>, String>>;
}

/// [`EventPublisher`] over the EventBridge SDK client.
#[cfg(feature = "aws")]
#[derive(Debug, Clone)]
pub struct EventBridgePublisher {
    client: aws_sdk_eventbridge::Client,
}

#[cfg(feature = "aws")]
impl EventBridgePublisher {
    /// A publisher over an existing client.
    pub fn new(client: aws_sdk_eventbridge::Client) -> Self {
        Self { client }
    }

    /// A publisher configured from the environment (region, credentials,
    /// `AWS_ENDPOINT_URL_EVENTBRIDGE` / `AWS_ENDPOINT_URL`).
    pub async fn from_env() -> Self {
        let sdk = crate::aws::sdk_config().await;
        Self::new(aws_sdk_eventbridge::Client::new(&sdk))
    }
}

#[cfg(feature = "aws")]
impl EventPublisher for EventBridgePublisher {
    fn put_events<'a>(
        &'a self,
        entries: &'a [PublishEntry],
    ) -> BoxFuture<'a, Result<Vec<EntryOutcome>, String>> {
        use aws_sdk_eventbridge::types::PutEventsRequestEntry;
        Box::pin(async move {
            let request: Vec<PutEventsRequestEntry> = entries
                .iter()
                .map(|e| {
                    PutEventsRequestEntry::builder()
                        .event_bus_name(&e.event_bus)
                        .source(&e.source)
                        .detail_type(&e.detail_type)
                        .detail(&e.detail)
                        .set_time(e.time.as_deref().and_then(event_time))
                        .build()
                })
                .collect();
            let out = self
                .client
                .put_events()
                .set_entries(Some(request))
                .send()
                .await
                .map_err(|e| aws_sdk_eventbridge::error::DisplayErrorContext(&e).to_string())?;
            let results = out.entries();
            Ok((0..entries.len())
                .map(|i| match results.get(i) {
                    Some(r) if r.error_code().is_none() && r.event_id().is_some() => {
                        EntryOutcome::Published
                    }
                    Some(r) => EntryOutcome::Failed {
                        code: r.error_code().unwrap_or("Unknown").to_owned(),
                        message: r.error_message().unwrap_or_default().to_owned(),
                    },
                    None => EntryOutcome::Failed {
                        code: "MissingResult".into(),
                        message: "PutEvents returned fewer results than entries".into(),
                    },
                })
                .collect())
        })
    }
}

/// Parses an outbox `occurred_at` (RFC 3339) into the entry's `Time`;
/// an unparsable time is left out (EventBridge then uses the call's time).
#[cfg(feature = "aws")]
fn event_time(text: &str) -> Option<aws_sdk_eventbridge::primitives::DateTime> {
    use aws_sdk_eventbridge::primitives::{DateTime, DateTimeFormat};
    DateTime::from_str(text, DateTimeFormat::DateTimeWithOffset).ok()
}

/// Splits entries into `PutEvents` calls: at most 10 entries and 256 KiB
/// each. Returns index ranges into `entries`; an entry too large on its own
/// gets a call of its own (EventBridge will reject it, per entry).
pub fn chunk(entries: &[PublishEntry]) -> Vec<std::ops::Range<usize>> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, e) in entries.iter().enumerate() {
        let size = e.size();
        if i > start && (i - start == MAX_ENTRIES_PER_CALL || bytes + size > MAX_BYTES_PER_CALL) {
            chunks.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < entries.len() {
        chunks.push(start..entries.len());
    }
    chunks
}

/// Publishes entries, resending only the failed ones, at most
/// `config.max_attempts` times. Returns, per entry, `Ok(())` or the last
/// error.
pub async fn publish_all(
    publisher: &dyn EventPublisher,
    entries: &[PublishEntry],
    config: &DispatcherConfig,
) -> Vec<Result<(), String>> {
    let mut outcome: Vec<Result<(), String>> = vec![Err("not attempted".into()); entries.len()];
    let mut pending: Vec<usize> = (0..entries.len()).collect();
    let mut backoff = config.initial_backoff;
    for attempt in 1..=config.max_attempts.max(1) {
        if pending.is_empty() {
            break;
        }
        if attempt > 1 {
            tokio::time::sleep(backoff).await;
            backoff = backoff.saturating_mul(2);
        }
        let batch: Vec<PublishEntry> = pending.iter().map(|&i| entries[i].clone()).collect();
        let mut still = Vec::new();
        for range in chunk(&batch) {
            let slice = &batch[range.clone()];
            let results = match publisher.put_events(slice).await {
                Ok(r) => r,
                Err(message) => vec![
                    EntryOutcome::Failed {
                        code: "CallFailed".into(),
                        message
                    };
                    slice.len()
                ],
            };
            for (offset, index) in range.enumerate() {
                let original = pending[index];
                match results.get(offset) {
                    Some(EntryOutcome::Published) => outcome[original] = Ok(()),
                    Some(EntryOutcome::Failed { code, message }) => {
                        outcome[original] = Err(format!("{code}: {message}"));
                        still.push(original);
                    }
                    None => {
                        outcome[original] = Err("no result for entry".into());
                        still.push(original);
                    }
                }
            }
        }
        pending = still;
    }
    outcome
}

/// What happened to a batch, for logs and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DispatchReport {
    /// Events published now.
    pub published: Vec<String>,
    /// Records skipped because their event was already published.
    pub already_published: usize,
    /// Records that are not outbox inserts.
    pub ignored: usize,
    /// The partial batch response.
    pub response: BatchResponse,
}

/// Processes one stream batch. Never fails as a whole: every problem is a
/// per-record failure in the response.
pub async fn dispatch(
    event: &Value,
    store: &dyn Store,
    publisher: &dyn EventPublisher,
    config: &DispatcherConfig,
) -> DispatchReport {
    let mut report = DispatchReport::default();
    let store_config = store.config();
    // (sequence number, outbox key, event) of the records to publish.
    let mut candidates: Vec<(String, Key, OutboxEvent)> = Vec::new();
    let mut seen = HashSet::new();
    for record in parse_records(event) {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(reason = e.reason.as_str(), "undecodable stream record");
                match e.sequence_number {
                    Some(seq) => report.response.fail(&seq),
                    None => report.ignored += 1,
                }
                continue;
            }
        };
        let Some(image) = record
            .new_image
            .as_ref()
            .filter(|_| record.event_name == EventName::Insert)
        else {
            report.ignored += 1;
            continue;
        };
        let Some(key) = store_config
            .key_of(image)
            .filter(|k| k.sk.starts_with(store_config.outbox_prefix()))
        else {
            report.ignored += 1;
            continue;
        };
        match OutboxEvent::from_item(image) {
            Ok(event) => {
                if seen.insert(event.event_id.clone()) {
                    candidates.push((record.sequence_number, key, event));
                } else {
                    report.already_published += 1;
                }
            }
            Err(reason) => {
                tracing::error!(reason, key = %key, "malformed outbox item");
                report.response.fail(&record.sequence_number);
            }
        }
    }

    let mut to_publish = Vec::new();
    for (seq, key, event) in candidates {
        match store.get(&key).await {
            Ok(Some(_)) => to_publish.push((seq, key, event)),
            Ok(None) => report.already_published += 1,
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    event_id = event.event_id.as_str(),
                    "cannot check outbox item; will retry"
                );
                report.response.fail(&seq);
            }
        }
    }

    let entries: Vec<PublishEntry> = to_publish
        .iter()
        .map(|(_, _, e)| PublishEntry::for_event(e, config))
        .collect();
    let results = publish_all(publisher, &entries, config).await;
    for ((seq, key, event), result) in to_publish.into_iter().zip(results) {
        match result {
            Ok(()) => {
                let delete = WriteOp::delete(key.clone()).when(Condition::ItemExists);
                match store.write(delete).await {
                    Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
                    Err(e) => tracing::warn!(
                        error = %e,
                        event_id = event.event_id.as_str(),
                        "published event but could not delete its outbox item"
                    ),
                }
                report.published.push(event.event_id);
            }
            Err(reason) => {
                tracing::error!(
                    reason,
                    event_id = event.event_id.as_str(),
                    "could not publish event"
                );
                report.response.fail(&seq);
            }
        }
    }
    observe::distribution("saga.outbox.published", report.published.len() as f64, &[]);
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn entry(i: usize, detail_len: usize) -> PublishEntry {
        PublishEntry {
            event_id: format!("e{i}"),
            event_bus: "bus".into(),
            source: "src".into(),
            detail_type: "T".into(),
            detail: "x".repeat(detail_len),
            time: None,
        }
    }

    #[cfg(feature = "aws")]
    #[test]
    fn event_times_parse() {
        let t = event_time("2024-02-29T12:34:56.789Z").unwrap();
        assert_eq!(t.secs(), 1_709_210_096);
        assert!(event_time(&crate::time::now_rfc3339()).is_some());
        assert!(event_time("yesterday").is_none());
    }

    #[test]
    fn chunks_respect_count_and_size() {
        let entries: Vec<_> = (0..25).map(|i| entry(i, 10)).collect();
        assert_eq!(chunk(&entries), vec![0..10, 10..20, 20..25]);
        let big: Vec<_> = (0..3).map(|i| entry(i, 100 * 1024)).collect();
        assert_eq!(chunk(&big), vec![0..2, 2..3]);
        assert!(chunk(&[]).is_empty());
    }

    /// Fails each entry the first `failures[event_id]` times it is sent.
    struct Flaky {
        failures: Mutex<std::collections::HashMap<String, u32>>,
        calls: Mutex<Vec<Vec<String>>>,
        whole_call_failures: Mutex<u32>,
    }

    impl EventPublisher for Flaky {
        fn put_events<'a>(
            &'a self,
            entries: &'a [PublishEntry],
        ) -> BoxFuture<'a, Result<Vec<EntryOutcome>, String>> {
            Box::pin(async move {
                assert!(entries.len() <= MAX_ENTRIES_PER_CALL);
                self.calls
                    .lock()
                    .unwrap()
                    .push(entries.iter().map(|e| e.event_id.clone()).collect());
                {
                    let mut whole = self.whole_call_failures.lock().unwrap();
                    if *whole > 0 {
                        *whole -= 1;
                        return Err("connection reset".into());
                    }
                }
                let mut failures = self.failures.lock().unwrap();
                Ok(entries
                    .iter()
                    .map(|e| match failures.get_mut(&e.event_id) {
                        Some(n) if *n > 0 => {
                            *n -= 1;
                            EntryOutcome::Failed {
                                code: "ThrottlingException".into(),
                                message: "slow down".into(),
                            }
                        }
                        _ => EntryOutcome::Published,
                    })
                    .collect())
            })
        }
    }

    fn config() -> DispatcherConfig {
        DispatcherConfig {
            initial_backoff: Duration::ZERO,
            ..DispatcherConfig::new("bus", "src")
        }
    }

    #[tokio::test]
    async fn resends_only_failed_entries() {
        let publisher = Flaky {
            failures: Mutex::new(
                [
                    ("e3".to_owned(), 1),
                    ("e11".to_owned(), 2),
                    ("e7".to_owned(), 5),
                ]
                .into(),
            ),
            calls: Mutex::new(Vec::new()),
            whole_call_failures: Mutex::new(0),
        };
        let entries: Vec<_> = (0..12).map(|i| entry(i, 10)).collect();
        let results = publish_all(&publisher, &entries, &config()).await;
        let calls = publisher.calls.lock().unwrap().clone();
        assert_eq!(calls[0].len(), 10);
        assert_eq!(calls[1].len(), 2);
        // Second attempt: only the three failures, in one call.
        assert_eq!(calls[2], vec!["e3", "e7", "e11"]);
        // Third (last) attempt: the two still failing.
        assert_eq!(calls[3], vec!["e7", "e11"]);
        assert_eq!(calls.len(), 4);
        for (i, r) in results.iter().enumerate() {
            assert_eq!(r.is_ok(), i != 7, "entry {i}: {r:?}");
        }
    }

    #[tokio::test]
    async fn a_failed_call_fails_its_entries_and_is_retried() {
        let publisher = Flaky {
            failures: Mutex::new(Default::default()),
            calls: Mutex::new(Vec::new()),
            whole_call_failures: Mutex::new(1),
        };
        let entries: Vec<_> = (0..3).map(|i| entry(i, 10)).collect();
        let results = publish_all(&publisher, &entries, &config()).await;
        assert!(results.iter().all(Result::is_ok));
        assert_eq!(publisher.calls.lock().unwrap().len(), 2);
    }
}
