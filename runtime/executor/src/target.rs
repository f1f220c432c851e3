//! The seam between the executor and whatever answers Task states: the
//! [`TaskTarget`] trait, the request it gets and the response it gives, a
//! [`Router`] that picks a target by resource, and the Lambda `Invoke`
//! response shape.

use std::future::Future;
use std::pin::Pin;

use serde_json::{Value, json};

/// A Task's answer, possibly not ready yet (an in-process async handler).
/// Not `Send`: the executor polls it on the calling thread.
pub type TaskFuture<'a> = Pin<Box<dyn Future<Output = TaskResponse> + 'a>>;

/// What a Task target gets for one attempt of one Task state.
#[derive(Debug, Clone, Copy)]
pub struct TaskRequest<'a> {
    /// The Task state's name (as in the definition; inside a Parallel or a
    /// Map, the inner state's own name).
    pub state_name: &'a str,
    /// `Resource`, e.g. `arn:aws:states:::lambda:invoke`.
    pub resource: &'a str,
    /// The effective parameters (after `InputPath` and `Parameters`).
    pub parameters: &'a Value,
    /// The context object (`$$`) of this attempt.
    pub context: &'a Value,
    /// The retry number of this entry into the state: 0 for the first
    /// attempt, 1 for the first retry, and so on.
    pub attempt: u32,
    /// `Credentials`, when the state has them.
    pub credentials: Option<&'a Value>,
}

/// A Task failure: an error name and an optional cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskError {
    /// The error name, matched by `ErrorEquals`.
    pub error: String,
    /// The cause (for a Lambda function error, its JSON error payload).
    pub cause: Option<String>,
}

impl TaskError {
    /// An error with a cause.
    #[must_use]
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> TaskError {
        TaskError {
            error: error.into(),
            cause: Some(cause.into()),
        }
    }
}

/// What a target answers: the result and how long the attempt took on the
/// virtual clock (so a target can make an attempt outlast `TimeoutSeconds`).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskResponse {
    /// The integration's result, or its failure.
    pub result: Result<Value, TaskError>,
    /// Seconds the attempt took (virtual).
    pub duration_seconds: f64,
}

impl TaskResponse {
    /// An instant success.
    #[must_use]
    pub fn ok(value: Value) -> TaskResponse {
        TaskResponse {
            result: Ok(value),
            duration_seconds: 0.0,
        }
    }

    /// An instant failure.
    #[must_use]
    pub fn err(error: TaskError) -> TaskResponse {
        TaskResponse {
            result: Err(error),
            duration_seconds: 0.0,
        }
    }

    /// The same answer after `seconds` of virtual time.
    #[must_use]
    pub fn after(mut self, seconds: f64) -> TaskResponse {
        self.duration_seconds = seconds;
        self
    }

    /// An instant answer as a ready future.
    #[must_use]
    pub fn ready<'a>(self) -> TaskFuture<'a> {
        Box::pin(std::future::ready(self))
    }
}

/// Anything that can answer Task states: mocks, in-process handlers, the
/// embedded store's DynamoDB integration.
pub trait TaskTarget {
    /// Runs one attempt of a Task.
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> TaskFuture<'a>;
}

impl<T: TaskTarget + ?Sized> TaskTarget for &T {
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> TaskFuture<'a> {
        (**self).invoke(request)
    }
}

impl<T: TaskTarget + ?Sized> TaskTarget for Box<T> {
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> TaskFuture<'a> {
        (**self).invoke(request)
    }
}

/// A target from a function answering each request at once (handy in tests
/// and for synchronous in-process handlers).
pub struct FnTarget<F>(pub F);

impl<F: Fn(TaskRequest<'_>) -> TaskResponse> TaskTarget for FnTarget<F> {
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> TaskFuture<'a> {
        (self.0)(request).ready()
    }
}

/// A Task `Resource`, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource<'a> {
    /// `arn:aws:states:::lambda:invoke` (with `pattern` `.waitForTaskToken`
    /// or empty): the result is the Invoke response.
    LambdaInvoke {
        /// The integration pattern suffix (`""`, `"waitForTaskToken"`).
        pattern: &'a str,
    },
    /// A Lambda function ARN as the resource (the result is the payload).
    LambdaFunction(&'a str),
    /// `arn:aws:states:::aws-sdk:SERVICE:ACTION`.
    Sdk {
        /// `dynamodb`.
        service: &'a str,
        /// `transactWriteItems`.
        action: &'a str,
    },
    /// Another optimised integration, `arn:aws:states:::SERVICE:ACTION[.PATTERN]`.
    Integration {
        /// `sqs`, `dynamodb`, `events`, ...
        service: &'a str,
        /// `sendMessage`, `putItem`, ...
        action: &'a str,
        /// `""`, `"sync"`, `"waitForTaskToken"`.
        pattern: &'a str,
    },
    /// An activity ARN or anything else.
    Other(&'a str),
}

impl<'a> Resource<'a> {
    /// Classifies a `Resource` ARN.
    #[must_use]
    pub fn parse(arn: &'a str) -> Resource<'a> {
        if let Some(rest) = arn.strip_prefix("arn:aws:states:::") {
            if let Some((service, action)) = rest
                .strip_prefix("aws-sdk:")
                .and_then(|sdk| sdk.split_once(':'))
            {
                return Resource::Sdk { service, action };
            }
            let (main, pattern) = rest.split_once('.').unwrap_or((rest, ""));
            if main == "lambda:invoke" {
                return Resource::LambdaInvoke { pattern };
            }
            if let Some((service, action)) = main.split_once(':') {
                return Resource::Integration {
                    service,
                    action,
                    pattern,
                };
            }
        }
        if arn.starts_with("arn:") && arn.split(':').nth(2) == Some("lambda") {
            return Resource::LambdaFunction(arn);
        }
        Resource::Other(arn)
    }

    /// `resourceType` and `resource` as the history's Task events name them
    /// (`lambda` / `invoke`, `aws-sdk:dynamodb` / `transactWriteItems`).
    #[must_use]
    pub fn event_names(arn: &str) -> (String, String) {
        match arn.strip_prefix("arn:aws:states:::") {
            Some(rest) => match rest.rsplit_once(':') {
                Some((ty, resource)) => (ty.to_owned(), resource.to_owned()),
                None => (rest.to_owned(), String::new()),
            },
            None => (String::new(), arn.to_owned()),
        }
    }
}

/// The result of `arn:aws:states:::lambda:invoke` for a function that
/// returned `payload`: the Invoke response as Step Functions gives it.
#[must_use]
pub fn lambda_invoke_response(payload: Value) -> Value {
    json!({
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "StatusCode": 200,
    })
}

/// The Task error of a Lambda function that failed with `error_type`: the
/// error name is the `errorType`, the cause its JSON error payload.
#[must_use]
pub fn lambda_function_error(error_type: &str, message: &str) -> TaskError {
    let cause = json!({"errorType": error_type, "errorMessage": message}).to_string();
    TaskError {
        error: error_type.to_owned(),
        cause: Some(cause),
    }
}

type Route<'t> = (
    Box<dyn Fn(&Resource<'_>) -> bool + 't>,
    Box<dyn TaskTarget + 't>,
);

/// A Lambda function's failure, as its runtime reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    /// `errorType`: the error name Retry and Catch match.
    pub error_type: String,
    /// `errorMessage`.
    pub error_message: String,
}

/// The future a [`LambdaHandler`] returns.
pub type FunctionFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, FunctionError>> + 'a>>;

/// In-process Lambda functions: what `arn:aws:states:::lambda:invoke` (and a
/// function ARN as the resource) calls, with the Lambda JSON contract.
pub trait LambdaHandler {
    /// Invokes `function_name` (the `FunctionName` parameter, or the
    /// resource ARN) with `payload`; `request` is the whole Task request.
    fn invoke<'a>(
        &'a self,
        function_name: &'a str,
        payload: Value,
        request: TaskRequest<'a>,
    ) -> FunctionFuture<'a>;
}

/// Adapts a [`LambdaHandler`] to a [`TaskTarget`]: takes `FunctionName` and
/// `Payload` from the parameters, wraps the result in the Invoke response
/// (`{"ExecutedVersion", "Payload", "StatusCode"}`; the plain result for
/// `.waitForTaskToken` and for a function ARN as the resource), and turns a
/// function error into the Task error Step Functions reports (`errorType` as
/// the name, the error payload as the cause).
pub struct Lambda<H>(pub H);

impl<H: LambdaHandler> TaskTarget for Lambda<H> {
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> TaskFuture<'a> {
        let (function, payload, wrap) = match Resource::parse(request.resource) {
            Resource::LambdaInvoke { pattern } => {
                let Some(function) = request
                    .parameters
                    .get("FunctionName")
                    .and_then(Value::as_str)
                else {
                    return TaskResponse::err(TaskError::new(
                        "States.Runtime",
                        format!(
                            "state `{}`: lambda:invoke needs a string FunctionName parameter",
                            request.state_name
                        ),
                    ))
                    .ready();
                };
                let payload = request
                    .parameters
                    .get("Payload")
                    .cloned()
                    .unwrap_or(Value::Null);
                (function, payload, pattern.is_empty())
            }
            Resource::LambdaFunction(arn) => (arn, request.parameters.clone(), false),
            _ => {
                return TaskResponse::err(TaskError::new(
                    "States.Runtime",
                    format!(
                        "state `{}`: `{}` is not a Lambda resource",
                        request.state_name, request.resource
                    ),
                ))
                .ready();
            }
        };
        Box::pin(async move {
            match self.0.invoke(function, payload, request).await {
                Ok(result) if wrap => TaskResponse::ok(lambda_invoke_response(result)),
                Ok(result) => TaskResponse::ok(result),
                Err(e) => TaskResponse::err(lambda_function_error(&e.error_type, &e.error_message)),
            }
        })
    }
}

/// Routes each Task to a target by its resource: the first route whose
/// predicate accepts the resource, else the fallback, else
/// `States.Runtime` naming the state.
#[derive(Default)]
pub struct Router<'t> {
    routes: Vec<Route<'t>>,
    fallback: Option<Box<dyn TaskTarget + 't>>,
}

impl<'t> Router<'t> {
    /// An empty router.
    #[must_use]
    pub fn new() -> Router<'t> {
        Router::default()
    }

    /// Sends the Tasks whose resource `accepts` to `target`.
    #[must_use]
    pub fn route(
        mut self,
        accepts: impl Fn(&Resource<'_>) -> bool + 't,
        target: impl TaskTarget + 't,
    ) -> Router<'t> {
        self.routes.push((Box::new(accepts), Box::new(target)));
        self
    }

    /// Sends `arn:aws:states:::lambda:invoke` (and Lambda function ARNs) to `target`.
    #[must_use]
    pub fn lambda(self, target: impl TaskTarget + 't) -> Router<'t> {
        self.route(
            |r| {
                matches!(
                    r,
                    Resource::LambdaInvoke { .. } | Resource::LambdaFunction(_)
                )
            },
            target,
        )
    }

    /// Sends `arn:aws:states:::aws-sdk:SERVICE:*` to `target`.
    #[must_use]
    pub fn sdk(self, service: &'t str, target: impl TaskTarget + 't) -> Router<'t> {
        self.route(
            move |r| matches!(r, Resource::Sdk { service: s, .. } if *s == service),
            target,
        )
    }

    /// What answers a Task no route accepts.
    #[must_use]
    pub fn fallback(mut self, target: impl TaskTarget + 't) -> Router<'t> {
        self.fallback = Some(Box::new(target));
        self
    }
}

impl TaskTarget for Router<'_> {
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> TaskFuture<'a> {
        let resource = Resource::parse(request.resource);
        for (accepts, target) in &self.routes {
            if accepts(&resource) {
                return target.invoke(request);
            }
        }
        match &self.fallback {
            Some(target) => target.invoke(request),
            None => TaskResponse::err(TaskError::new(
                "States.Runtime",
                format!(
                    "no target for resource `{}` of state `{}`",
                    request.resource, request.state_name
                ),
            ))
            .ready(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_resources() {
        assert_eq!(
            Resource::parse("arn:aws:states:::lambda:invoke"),
            Resource::LambdaInvoke { pattern: "" }
        );
        assert_eq!(
            Resource::parse("arn:aws:states:::lambda:invoke.waitForTaskToken"),
            Resource::LambdaInvoke {
                pattern: "waitForTaskToken"
            }
        );
        assert_eq!(
            Resource::parse("arn:aws:states:::aws-sdk:dynamodb:transactWriteItems"),
            Resource::Sdk {
                service: "dynamodb",
                action: "transactWriteItems"
            }
        );
        assert_eq!(
            Resource::parse("arn:aws:states:::sqs:sendMessage.waitForTaskToken"),
            Resource::Integration {
                service: "sqs",
                action: "sendMessage",
                pattern: "waitForTaskToken"
            }
        );
        let f = "arn:aws:lambda:us-east-1:123456789012:function:F";
        assert_eq!(Resource::parse(f), Resource::LambdaFunction(f));
        assert_eq!(
            Resource::event_names("arn:aws:states:::aws-sdk:dynamodb:transactWriteItems"),
            (
                "aws-sdk:dynamodb".to_owned(),
                "transactWriteItems".to_owned()
            )
        );
        assert_eq!(
            Resource::event_names("arn:aws:states:::lambda:invoke"),
            ("lambda".to_owned(), "invoke".to_owned())
        );
    }

    struct Fixed(&'static str);
    impl TaskTarget for Fixed {
        fn invoke<'a>(&'a self, _: TaskRequest<'a>) -> TaskFuture<'a> {
            TaskResponse::ok(json!(self.0)).ready()
        }
    }

    struct Echo;
    impl LambdaHandler for Echo {
        fn invoke<'a>(
            &'a self,
            function_name: &'a str,
            payload: Value,
            _: TaskRequest<'a>,
        ) -> FunctionFuture<'a> {
            Box::pin(async move {
                if payload == json!("fail") {
                    Err(FunctionError {
                        error_type: "Nope".into(),
                        error_message: "asked to".into(),
                    })
                } else {
                    Ok(json!({"function": function_name, "payload": payload}))
                }
            })
        }
    }

    #[test]
    fn lambda_adapter_speaks_the_invoke_contract() {
        let lambda = Lambda(Echo);
        let call = |resource: &str, parameters: Value| {
            let c = json!({});
            let request = TaskRequest {
                state_name: "S",
                resource,
                parameters: &parameters,
                context: &c,
                attempt: 0,
                credentials: None,
            };
            crate::block_on(lambda.invoke(request)).result
        };
        let invoke = "arn:aws:states:::lambda:invoke";
        assert_eq!(
            call(invoke, json!({"FunctionName": "f", "Payload": {"a": 1}})),
            Ok(
                json!({"ExecutedVersion": "$LATEST", "Payload": {"function": "f", "payload": {"a": 1}}, "StatusCode": 200})
            )
        );
        assert_eq!(
            call(
                "arn:aws:states:::lambda:invoke.waitForTaskToken",
                json!({"FunctionName": "f", "Payload": 1})
            ),
            Ok(json!({"function": "f", "payload": 1}))
        );
        let arn = "arn:aws:lambda:us-east-1:1:function:g";
        assert_eq!(
            call(arn, json!({"b": 2})),
            Ok(json!({"function": arn, "payload": {"b": 2}}))
        );
        let e = call(invoke, json!({"FunctionName": "f", "Payload": "fail"})).unwrap_err();
        assert_eq!(e.error, "Nope");
        assert_eq!(
            e.cause.as_deref(),
            Some(r#"{"errorType":"Nope","errorMessage":"asked to"}"#)
        );
        assert_eq!(
            call(invoke, json!({"Payload": 1})).unwrap_err().error,
            "States.Runtime"
        );
    }

    #[test]
    fn router_picks_by_resource() {
        let router = Router::new()
            .lambda(Fixed("lambda"))
            .sdk("dynamodb", Fixed("ddb"));
        let ask = |resource: &str| {
            let (p, c) = (json!({}), json!({}));
            let request = TaskRequest {
                state_name: "S",
                resource,
                parameters: &p,
                context: &c,
                attempt: 0,
                credentials: None,
            };
            crate::block_on(router.invoke(request))
        };
        assert_eq!(
            ask("arn:aws:states:::lambda:invoke").result,
            Ok(json!("lambda"))
        );
        assert_eq!(
            ask("arn:aws:states:::aws-sdk:dynamodb:putItem").result,
            Ok(json!("ddb"))
        );
        assert_eq!(
            ask("arn:aws:states:::sqs:sendMessage")
                .result
                .unwrap_err()
                .error,
            "States.Runtime"
        );
    }
}
