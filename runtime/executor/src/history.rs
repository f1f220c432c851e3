//! The execution history, as `GetExecutionHistory` names and shapes it.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::clock::Instant;

macro_rules! event_types {
    ($($variant:ident => $details:expr,)*) => {
        /// The history event types the executor writes (GetExecutionHistory's names).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum EventType { $($variant,)* }

        impl EventType {
            /// The type as the API spells it (`TaskStateEntered`).
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(EventType::$variant => stringify!($variant),)* }
            }
            /// The member that carries this event's details
            /// (`stateEnteredEventDetails`), if it has any.
            #[must_use]
            pub fn details_key(self) -> Option<&'static str> {
                match self { $(EventType::$variant => $details,)* }
            }
        }
    };
}

const ENTERED: Option<&str> = Some("stateEnteredEventDetails");
const EXITED: Option<&str> = Some("stateExitedEventDetails");

event_types! {
    ExecutionStarted => Some("executionStartedEventDetails"),
    ExecutionSucceeded => Some("executionSucceededEventDetails"),
    ExecutionFailed => Some("executionFailedEventDetails"),
    ExecutionTimedOut => Some("executionTimedOutEventDetails"),
    TaskStateEntered => ENTERED,
    TaskStateExited => EXITED,
    TaskScheduled => Some("taskScheduledEventDetails"),
    TaskStarted => Some("taskStartedEventDetails"),
    TaskSucceeded => Some("taskSucceededEventDetails"),
    TaskFailed => Some("taskFailedEventDetails"),
    TaskTimedOut => Some("taskTimedOutEventDetails"),
    LambdaFunctionScheduled => Some("lambdaFunctionScheduledEventDetails"),
    LambdaFunctionStarted => None,
    LambdaFunctionSucceeded => Some("lambdaFunctionSucceededEventDetails"),
    LambdaFunctionFailed => Some("lambdaFunctionFailedEventDetails"),
    LambdaFunctionTimedOut => Some("lambdaFunctionTimedOutEventDetails"),
    PassStateEntered => ENTERED,
    PassStateExited => EXITED,
    ChoiceStateEntered => ENTERED,
    ChoiceStateExited => EXITED,
    WaitStateEntered => ENTERED,
    WaitStateExited => EXITED,
    SucceedStateEntered => ENTERED,
    SucceedStateExited => EXITED,
    FailStateEntered => ENTERED,
    ParallelStateEntered => ENTERED,
    ParallelStateStarted => None,
    ParallelStateSucceeded => None,
    ParallelStateFailed => None,
    ParallelStateExited => EXITED,
    MapStateEntered => ENTERED,
    MapStateStarted => Some("mapStateStartedEventDetails"),
    MapIterationStarted => Some("mapIterationStartedEventDetails"),
    MapIterationSucceeded => Some("mapIterationSucceededEventDetails"),
    MapIterationFailed => Some("mapIterationFailedEventDetails"),
    MapStateSucceeded => None,
    MapStateFailed => None,
    MapStateExited => EXITED,
}

/// One history event.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    /// 1, 2, 3, … in the order written.
    pub id: u64,
    /// The event this one follows from (0 for the first).
    pub previous_event_id: u64,
    /// The virtual time.
    pub timestamp: Instant,
    /// The type.
    pub kind: EventType,
    /// The details object (its members as the API names them: `name`,
    /// `input`, `output`, `error`, `cause`, `resourceType`, …), if any.
    pub details: Option<Value>,
}

impl HistoryEvent {
    fn detail(&self, key: &str) -> Option<&str> {
        self.details.as_ref()?.get(key)?.as_str()
    }

    /// The state an `…StateEntered` / `…StateExited` event names.
    #[must_use]
    pub fn state_name(&self) -> Option<&str> {
        matches!(
            self.kind.details_key(),
            Some("stateEnteredEventDetails" | "stateExitedEventDetails")
        )
        .then(|| self.detail("name"))
        .flatten()
    }

    /// The error of a failure event.
    #[must_use]
    pub fn error(&self) -> Option<&str> {
        self.detail("error")
    }

    /// The cause of a failure event.
    #[must_use]
    pub fn cause(&self) -> Option<&str> {
        self.detail("cause")
    }

    /// Whether this is an `…StateEntered` event.
    #[must_use]
    pub fn is_state_entered(&self) -> bool {
        self.kind.details_key() == ENTERED
    }
}

impl Serialize for HistoryEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("timestamp", &self.timestamp.to_rfc3339())?;
        map.serialize_entry("type", self.kind.as_str())?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("previousEventId", &self.previous_event_id)?;
        if let (Some(key), Some(details)) = (self.kind.details_key(), &self.details) {
            map.serialize_entry(key, details)?;
        }
        map.end()
    }
}
