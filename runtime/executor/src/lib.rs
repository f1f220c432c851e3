//! `sagac-executor`: a faithful local executor of Amazon States Language
//! definitions (JSONPath and JSONata states, mixed or alone), on a virtual
//! clock.
//!
//! ```
//! use sagac_executor::{Definition, ExecutionOptions, Executor, MockConfig, Status};
//! use serde_json::json;
//!
//! let definition = Definition::from_value(&json!({
//!     "StartAt": "Greet",
//!     "States": {"Greet": {
//!         "Type": "Task",
//!         "Resource": "arn:aws:states:::lambda:invoke",
//!         "Parameters": {"FunctionName": "greet", "Payload.$": "$"},
//!         "ResultSelector": {"greeting.$": "$.Payload"},
//!         "End": true
//!     }}
//! })).unwrap();
//! let mocks = MockConfig::from_value(&json!({
//!     "StateMachines": {"Hello": {"TestCases": {"HappyPath": {"Greet": "Hi"}}}},
//!     "MockedResponses": {"Hi": {"0": {"Return": {"StatusCode": 200, "Payload": "hello"}}}}
//! })).unwrap();
//! let target = mocks.target("Hello", "HappyPath").unwrap();
//! let execution = Executor::new(&definition, ExecutionOptions::default())
//!     .run_blocking(json!({}), &target);
//! assert_eq!(execution.status, Status::Succeeded);
//! assert_eq!(execution.output, Some(json!({"greeting": "hello"})));
//! ```
//!
//! * [`Definition`] is the typed model (parsed and validated up front: every
//!   error names the state; an execution never panics).
//! * [`Executor`] runs it: every state type, the paths and payload templates,
//!   the context object, the intrinsic functions, JSONata (see [`jsonata`]),
//!   Retry/Catch, task and
//!   execution timeouts. Time is virtual: retries and waits move the clock
//!   without sleeping, so hours of backoff run in microseconds.
//! * Tasks are answered by a [`TaskTarget`]: a [`MockTarget`] from a Step
//!   Functions Local mock configuration, in-process handlers, or a
//!   [`Router`] combining them.
//! * The [`Execution`] carries DescribeExecution's status, output, error and
//!   cause and GetExecutionHistory's events; it serialises as AWS spells them.
//!
//! Parallel branches and Map iterations run one after another in
//! declaration order (each on its own clock starting when the state started,
//! so virtual time is what concurrent execution would take); once a branch
//! or an untolerated iteration fails, later ones are not started.
//!
//! The crate does no I/O: no file system, no network, no environment, no
//! AWS SDK and no async runtime.

#![deny(missing_docs)]

mod choice;
pub mod clock;
mod exec;
pub mod history;
pub mod intrinsic;
pub mod jsonata;
pub mod mock;
pub mod model;
pub mod path;
pub mod render;
pub mod target;

pub use clock::Instant;
pub use exec::{
    Execution, ExecutionOptions, Executor, MAX_PAYLOAD_BYTES, Status, error_matches, retry_interval,
};
pub use history::{EventType, HistoryEvent};
pub use mock::{MockConfig, MockError, MockTarget};
pub use model::{Definition, DefinitionError};
pub use target::{
    FnTarget, Resource, Router, TaskError, TaskFuture, TaskRequest, TaskResponse, TaskTarget,
};

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// Drives a future to completion on this thread (parking while it is
/// pending). The executor needs nothing more: it never spawns.
pub fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            Poll::Pending => std::thread::park(),
        }
    }
}
