//! An AWS Step Functions Local mock configuration file as a [`TaskTarget`]:
//! `StateMachines.<name>.TestCases.<case>` maps Task state names to entries of
//! `MockedResponses`, whose keys are retry numbers (`"0"`, `"1-2"`) and whose
//! values are `{"Return": …}` or `{"Throw": {"Error", "Cause"}}`.
//! (<https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html>)
//!
//! `Return` is exactly what the integration returns: for
//! `arn:aws:states:::lambda:invoke` the whole Invoke response
//! (`{"StatusCode": 200, "Payload": …}`), as Step Functions Local expects.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::target::{TaskError, TaskFuture, TaskRequest, TaskResponse, TaskTarget};

/// A parsed mock configuration file.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// State machine name → test case name → state name → response name.
    pub state_machines: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>,
    /// Response name → its attempts.
    pub responses: BTreeMap<String, MockedResponse>,
}

/// One entry of `MockedResponses`: answers by retry number.
#[derive(Debug, Clone)]
pub struct MockedResponse {
    /// `(first, last, answer)` for each key, ranges inclusive, sorted.
    pub attempts: Vec<(u32, u32, MockAnswer)>,
}

/// A mocked answer.
#[derive(Debug, Clone, PartialEq)]
pub enum MockAnswer {
    /// `Return`.
    Return(Value),
    /// `Throw`.
    Throw(TaskError),
}

/// Why a mock configuration is unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockError(pub String);

impl fmt::Display for MockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MockError {}

fn object<'v>(
    value: &'v Value,
    what: &str,
) -> Result<&'v serde_json::Map<String, Value>, MockError> {
    value
        .as_object()
        .ok_or_else(|| MockError(format!("{what} must be an object")))
}

impl MockConfig {
    /// Parses a mock configuration from JSON text.
    ///
    /// # Errors
    /// A [`MockError`] naming the offending entry.
    pub fn from_json(text: &str) -> Result<MockConfig, MockError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| MockError(format!("the mock configuration is not JSON: {e}")))?;
        MockConfig::from_value(&value)
    }

    /// Parses a mock configuration from a JSON value.
    ///
    /// # Errors
    /// A [`MockError`] naming the offending entry.
    pub fn from_value(value: &Value) -> Result<MockConfig, MockError> {
        let top = object(value, "the mock configuration")?;
        let mut state_machines = BTreeMap::new();
        let machines = top
            .get("StateMachines")
            .ok_or_else(|| MockError("missing `StateMachines`".into()))?;
        for (machine, body) in object(machines, "`StateMachines`")? {
            let where_ = format!("StateMachines.{machine}");
            let body = object(body, &where_)?;
            let cases_value = body
                .get("TestCases")
                .ok_or_else(|| MockError(format!("{where_}: missing `TestCases`")))?;
            let mut cases = BTreeMap::new();
            for (case, mapping) in object(cases_value, &format!("{where_}.TestCases"))? {
                let where_case = format!("{where_}.TestCases.{case}");
                let mut states = BTreeMap::new();
                for (state, response) in object(mapping, &where_case)? {
                    let response = response.as_str().ok_or_else(|| {
                        MockError(format!("{where_case}.{state} must name a mocked response"))
                    })?;
                    states.insert(state.clone(), response.to_owned());
                }
                cases.insert(case.clone(), states);
            }
            state_machines.insert(machine.clone(), cases);
        }
        let mut responses = BTreeMap::new();
        if let Some(mocked) = top.get("MockedResponses") {
            for (name, body) in object(mocked, "`MockedResponses`")? {
                let where_ = format!("MockedResponses.{name}");
                let mut attempts = Vec::new();
                for (key, answer) in object(body, &where_)? {
                    let (first, last) = parse_range(key).ok_or_else(|| {
                        MockError(format!(
                            "{where_}: bad attempt key `{key}` (want \"0\" or \"1-2\")"
                        ))
                    })?;
                    attempts.push((
                        first,
                        last,
                        parse_answer(answer, &format!("{where_}.{key}"))?,
                    ));
                }
                attempts.sort_by_key(|(first, _, _)| *first);
                let mut expected = 0u32;
                for (first, last, _) in &attempts {
                    if *first != expected {
                        return Err(MockError(format!(
                            "{where_}: attempt keys must be consecutive from \"0\"; attempt {expected} is missing or covered twice"
                        )));
                    }
                    expected = last.saturating_add(1);
                }
                if attempts.is_empty() {
                    return Err(MockError(format!("{where_}: no attempts")));
                }
                responses.insert(name.clone(), MockedResponse { attempts });
            }
        }
        for (machine, cases) in &state_machines {
            for (case, states) in cases {
                for (state, response) in states {
                    if !responses.contains_key(response) {
                        return Err(MockError(format!(
                            "StateMachines.{machine}.TestCases.{case}: state `{state}` uses `{response}`, which is not under MockedResponses"
                        )));
                    }
                }
            }
        }
        Ok(MockConfig {
            state_machines,
            responses,
        })
    }

    /// The test cases of `state_machine`, by name.
    #[must_use]
    pub fn test_cases(&self, state_machine: &str) -> Vec<&str> {
        self.state_machines
            .get(state_machine)
            .map(|c| c.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// The state machine names, when `state_machine` is not given and there
    /// is exactly one, that one.
    #[must_use]
    pub fn only_state_machine(&self) -> Option<&str> {
        let mut names = self.state_machines.keys();
        match (names.next(), names.next()) {
            (Some(name), None) => Some(name),
            _ => None,
        }
    }

    /// A target answering from `test_case` of `state_machine`.
    ///
    /// # Errors
    /// When there is no such state machine or test case (the message lists
    /// those there are).
    pub fn target(
        &self,
        state_machine: &str,
        test_case: &str,
    ) -> Result<MockTarget<'_>, MockError> {
        let cases = self.state_machines.get(state_machine).ok_or_else(|| {
            MockError(format!(
                "the mock configuration has no state machine `{state_machine}` (it has: {})",
                self.state_machines
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let states = cases.get(test_case).ok_or_else(|| {
            MockError(format!(
                "state machine `{state_machine}` has no test case `{test_case}` (it has: {})",
                cases.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })?;
        Ok(MockTarget {
            config: self,
            test_case: test_case.to_owned(),
            states,
            fallback: None,
        })
    }
}

fn parse_range(key: &str) -> Option<(u32, u32)> {
    let key = key.trim();
    match key.split_once('-') {
        None => key.parse().ok().map(|n| (n, n)),
        Some((a, b)) => {
            let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            (a <= b).then_some((a, b))
        }
    }
}

fn parse_answer(value: &Value, where_: &str) -> Result<MockAnswer, MockError> {
    let obj = object(value, where_)?;
    match (obj.get("Return"), obj.get("Throw")) {
        (Some(ret), None) => Ok(MockAnswer::Return(ret.clone())),
        (None, Some(throw)) => {
            let throw = object(throw, &format!("{where_}.Throw"))?;
            let error = throw
                .get("Error")
                .and_then(Value::as_str)
                .ok_or_else(|| MockError(format!("{where_}.Throw needs a string `Error`")))?;
            let cause = match throw.get("Cause") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(other) => Some(other.to_string()),
            };
            Ok(MockAnswer::Throw(TaskError {
                error: error.to_owned(),
                cause,
            }))
        }
        _ => Err(MockError(format!(
            "{where_} needs exactly one of `Return` or `Throw`"
        ))),
    }
}

/// Answers Tasks from one test case of a [`MockConfig`].
pub struct MockTarget<'c> {
    config: &'c MockConfig,
    test_case: String,
    states: &'c BTreeMap<String, String>,
    fallback: Option<&'c dyn TaskTarget>,
}

impl fmt::Debug for MockTarget<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockTarget")
            .field("test_case", &self.test_case)
            .field("states", &self.states)
            .finish_non_exhaustive()
    }
}

impl<'c> MockTarget<'c> {
    /// What answers the Tasks this test case does not mock (by default they
    /// fail with `States.Runtime` naming the state).
    #[must_use]
    pub fn with_fallback(mut self, fallback: &'c dyn TaskTarget) -> MockTarget<'c> {
        self.fallback = Some(fallback);
        self
    }

    /// The mocked answer for `state` at retry number `attempt`.
    #[must_use]
    pub fn answer(&self, state: &str, attempt: u32) -> Option<&MockAnswer> {
        let response = self.config.responses.get(self.states.get(state)?)?;
        response
            .attempts
            .iter()
            .find(|(first, last, _)| (*first..=*last).contains(&attempt))
            .map(|(_, _, answer)| answer)
    }
}

impl TaskTarget for MockTarget<'_> {
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> TaskFuture<'a> {
        match self.answer(request.state_name, request.attempt) {
            Some(MockAnswer::Return(value)) => TaskResponse::ok(value.clone()).ready(),
            Some(MockAnswer::Throw(error)) => TaskResponse::err(error.clone()).ready(),
            None => match self.fallback {
                Some(fallback) if !self.states.contains_key(request.state_name) => {
                    fallback.invoke(request)
                }
                _ => {
                    let cause = if self.states.contains_key(request.state_name) {
                        format!(
                            "No mocked response definition for state '{}' and retry number '{}' in test case '{}'",
                            request.state_name, request.attempt, self.test_case
                        )
                    } else {
                        format!(
                            "test case '{}' mocks no response for state '{}'",
                            self.test_case, request.state_name
                        )
                    };
                    TaskResponse::err(TaskError::new("States.Runtime", cause)).ready()
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> MockConfig {
        MockConfig::from_value(&json!({
            "StateMachines": {"M": {"TestCases": {"Happy": {"A": "AOk"}, "Flaky": {"A": "AFlaky"}}}},
            "MockedResponses": {
                "AOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"ok": true}}}},
                "AFlaky": {
                    "0-1": {"Throw": {"Error": "Lambda.ServiceException", "Cause": "busy"}},
                    "2": {"Return": {"StatusCode": 200, "Payload": 1}}
                }
            }
        }))
        .unwrap()
    }

    #[test]
    fn answers_by_attempt() {
        let c = config();
        let t = c.target("M", "Flaky").unwrap();
        assert!(
            matches!(t.answer("A", 0), Some(MockAnswer::Throw(e)) if e.error == "Lambda.ServiceException")
        );
        assert!(matches!(t.answer("A", 1), Some(MockAnswer::Throw(_))));
        assert!(matches!(t.answer("A", 2), Some(MockAnswer::Return(_))));
        assert!(t.answer("A", 3).is_none());
        assert!(t.answer("B", 0).is_none());
        assert_eq!(c.test_cases("M"), ["Flaky", "Happy"]);
        assert_eq!(c.only_state_machine(), Some("M"));
    }

    #[test]
    fn unmocked_attempts_fail_with_runtime_naming_the_state() {
        let c = config();
        let t = c.target("M", "Happy").unwrap();
        let (p, ctx) = (json!({}), json!({}));
        let request = TaskRequest {
            state_name: "A",
            resource: "r",
            parameters: &p,
            context: &ctx,
            attempt: 1,
            credentials: None,
        };
        let e = crate::block_on(t.invoke(request)).result.unwrap_err();
        assert_eq!(e.error, "States.Runtime");
        assert!(e.cause.unwrap().contains("state 'A' and retry number '1'"));
    }

    #[test]
    fn rejects_bad_files_with_the_entry_named() {
        for (bad, what) in [
            (json!({}), "missing `StateMachines`"),
            (
                json!({"StateMachines": {"M": {"TestCases": {"C": {"A": "Nope"}}}}, "MockedResponses": {}}),
                "`Nope`",
            ),
            (
                json!({"StateMachines": {}, "MockedResponses": {"R": {"x": {"Return": 1}}}}),
                "bad attempt key",
            ),
            (
                json!({"StateMachines": {}, "MockedResponses": {"R": {"1": {"Return": 1}}}}),
                "consecutive",
            ),
            (
                json!({"StateMachines": {}, "MockedResponses": {"R": {"0": {"Return": 1, "Throw": {}}}}}),
                "exactly one",
            ),
            (
                json!({"StateMachines": {}, "MockedResponses": {"R": {"0": {"Throw": {}}}}}),
                "string `Error`",
            ),
        ] {
            let e = MockConfig::from_value(&bad).unwrap_err();
            assert!(e.0.contains(what), "{e}");
        }
        let c = config();
        assert!(c.target("X", "Happy").unwrap_err().0.contains("has: M"));
        assert!(c.target("M", "X").unwrap_err().0.contains("Flaky, Happy"));
    }
}
