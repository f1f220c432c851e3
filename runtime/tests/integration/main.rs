//! Integration tests of the runtime against a real DynamoDB wire protocol
//! (moto_server on loopback; see `support`) and against the memory store.

mod dispatcher;
mod projector;
mod steps;
mod store_contract;
mod support;
mod tls;
