//! DynamoDB's JSON API over any [`Store`]: what a Step Functions
//! `arn:aws:states:::aws-sdk:dynamodb:*` task sends, executed with
//! DynamoDB's semantics against the store (the [`MemoryStore`] in local
//! runs).
//!
//! The requests are the API's own JSON (`TransactItems`, `Item` in
//! DynamoDB JSON, `ConditionExpression` and `UpdateExpression` strings with
//! `ExpressionAttributeNames` and `ExpressionAttributeValues`). Expressions
//! are parsed into the store's [`Condition`] and [`Update`] trees, so the
//! same transactional and conditional semantics apply as to the services'
//! own writes: every condition is checked before anything is written, and
//! a failed one cancels the whole transaction with DynamoDB's
//! `TransactionCanceledException` and its `CancellationReasons`. A
//! `ClientRequestToken` makes a repeated `TransactWriteItems` a no-op that
//! succeeds, within the ten minutes DynamoDB remembers it, and a token
//! reused with other parameters is an `IdempotentParameterMismatchException`.
//!
//! What the embedded store cannot represent (nested attribute paths,
//! `size`, `contains`, `attribute_type`, `list_append`, `DELETE`) is refused
//! with an error that says so, never silently approximated.
//!
//! [`MemoryStore`]: super::MemoryStore

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

use serde_json::{Map, Value, json};

use super::{Comparison, Condition, Key, Store, StoreError, Update, WriteOp};
use crate::attribute::{from_dynamodb_json, item_from_dynamodb_json, item_to_dynamodb_json};

/// How long DynamoDB remembers a `ClientRequestToken`: ten minutes.
pub const CLIENT_REQUEST_TOKEN_SECONDS: u64 = 600;

/// A failed call, as DynamoDB names it (`code` is the exception's name).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// e.g. `TransactionCanceledException`, `ConditionalCheckFailedException`,
    /// `ValidationException`, `ResourceNotFoundException`.
    pub code: String,
    /// DynamoDB's message.
    pub message: String,
    /// For a cancelled transaction: one reason per item, in order
    /// (`{"Code": "ConditionalCheckFailed"}` or `{"Code": "None"}`).
    pub cancellation_reasons: Vec<Value>,
}

impl ApiError {
    fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            cancellation_reasons: Vec::new(),
        }
    }

    fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", message)
    }

    fn unsupported(what: impl fmt::Display) -> Self {
        Self::validation(format!(
            "{what} is not supported by sagac's embedded DynamoDB store"
        ))
    }

    /// The error name a Step Functions SDK integration reports:
    /// `DynamoDb.<exception>`.
    pub fn asl_error(&self) -> String {
        format!("DynamoDb.{}", self.code)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// DynamoDB's API over one table of a [`Store`], with the memory of the
/// client request tokens it has seen.
pub struct DynamoApi<'a> {
    store: &'a dyn Store,
    tokens: Mutex<BTreeMap<String, (Value, u64)>>,
}

impl fmt::Debug for DynamoApi<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamoApi")
            .field("table", &self.store.config().table_name)
            .finish()
    }
}

impl<'a> DynamoApi<'a> {
    /// The API over `store`'s table.
    pub fn new(store: &'a dyn Store) -> Self {
        Self {
            store,
            tokens: Mutex::new(BTreeMap::new()),
        }
    }

    /// Executes `operation` (`TransactWriteItems`, `PutItem`, `UpdateItem`,
    /// `DeleteItem`, `GetItem`) with its request, at `now` (epoch seconds,
    /// for the client request token window), and returns the response.
    ///
    /// # Errors
    ///
    /// DynamoDB's error for the call: a failed condition, a malformed
    /// request, another table, or what the embedded store cannot do.
    pub async fn call(
        &self,
        operation: &str,
        request: &Value,
        now: u64,
    ) -> Result<Value, ApiError> {
        match operation {
            "TransactWriteItems" => self.transact_write_items(request, now).await,
            "PutItem" | "UpdateItem" | "DeleteItem" => {
                let op = self.write_op(operation.trim_end_matches("Item"), request)?;
                match self.store.write(op).await {
                    Ok(()) => Ok(json!({})),
                    Err(StoreError::ConditionFailed { .. }) => Err(ApiError::new(
                        "ConditionalCheckFailedException",
                        "The conditional request failed",
                    )),
                    Err(e) => Err(store_error(e)),
                }
            }
            "GetItem" => {
                self.table(request)?;
                let key = self.key(&request["Key"], "Key")?;
                match self.store.get(&key).await.map_err(store_error)? {
                    Some(item) => Ok(json!({ "Item": item_to_dynamodb_json(&item) })),
                    None => Ok(json!({})),
                }
            }
            other => Err(ApiError::new(
                "UnknownOperationException",
                format!("`{other}` is not an operation sagac's embedded DynamoDB store executes"),
            )),
        }
    }

    async fn transact_write_items(&self, request: &Value, now: u64) -> Result<Value, ApiError> {
        let items = request["TransactItems"]
            .as_array()
            .ok_or_else(|| ApiError::validation("TransactItems must be a list"))?;
        if items.is_empty() || items.len() > super::MAX_TRANSACTION_ITEMS {
            return Err(ApiError::validation(format!(
                "TransactItems must have between 1 and {} items",
                super::MAX_TRANSACTION_ITEMS
            )));
        }
        let token = request.get("ClientRequestToken").and_then(Value::as_str);
        if let Some(token) = token {
            let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
            tokens.retain(|_, (_, at)| now < at.saturating_add(CLIENT_REQUEST_TOKEN_SECONDS));
            if let Some((seen, _)) = tokens.get(token) {
                if seen == &request["TransactItems"] {
                    return Ok(json!({}));
                }
                return Err(ApiError::new(
                    "IdempotentParameterMismatchException",
                    "The request uses the same client token as a previous, but non-identical request.",
                ));
            }
        }
        let mut ops = Vec::with_capacity(items.len());
        for (i, entry) in items.iter().enumerate() {
            let (kind, body) = match entry.as_object().map(|o| o.iter().collect::<Vec<_>>()) {
                Some(fields) if fields.len() == 1 => (fields[0].0.as_str(), fields[0].1),
                _ => {
                    return Err(ApiError::validation(format!(
                        "TransactItems[{i}] must have exactly one of Put, Update, Delete, ConditionCheck"
                    )));
                }
            };
            let op = match kind {
                "Put" | "Update" | "Delete" | "ConditionCheck" => self.write_op(kind, body)?,
                other => {
                    return Err(ApiError::validation(format!(
                        "TransactItems[{i}]: unknown action `{other}`"
                    )));
                }
            };
            ops.push(op.label(i.to_string()));
        }
        let keys: Vec<&Key> = ops.iter().map(|op| &op.key).collect();
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].contains(key) {
                return Err(ApiError::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
        }
        match self.store.transact(ops.clone()).await {
            Ok(()) => {
                if let Some(token) = token {
                    self.tokens
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(token.to_owned(), (request["TransactItems"].clone(), now));
                }
                Ok(json!({}))
            }
            Err(StoreError::ConditionFailed { failed }) => {
                let failed: Vec<String> = failed.into_iter().filter_map(|f| f.label).collect();
                let reasons: Vec<Value> = (0..ops.len())
                    .map(|i| {
                        if failed.contains(&i.to_string()) {
                            json!({"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"})
                        } else {
                            json!({"Code": "None"})
                        }
                    })
                    .collect();
                let codes: Vec<&str> = reasons
                    .iter()
                    .map(|r| r["Code"].as_str().unwrap_or("None"))
                    .collect();
                let mut error = ApiError::new(
                    "TransactionCanceledException",
                    format!(
                        "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                        codes.join(", ")
                    ),
                );
                error.cancellation_reasons = reasons;
                Err(error)
            }
            Err(e) => Err(store_error(e)),
        }
    }

    /// The table a request names must be the store's.
    fn table(&self, body: &Value) -> Result<(), ApiError> {
        let name = body["TableName"]
            .as_str()
            .ok_or_else(|| ApiError::validation("TableName is required"))?;
        let table = &self.store.config().table_name;
        if name == table {
            Ok(())
        } else {
            Err(ApiError::new(
                "ResourceNotFoundException",
                format!(
                    "Requested resource not found: Table: {name} not found (the embedded store holds {table})"
                ),
            ))
        }
    }

    /// The store key of a DynamoDB key (or whole item) in DynamoDB JSON.
    fn key(&self, attributes: &Value, what: &str) -> Result<Key, ApiError> {
        let config = self.store.config();
        let part = |name: &str| {
            attributes
                .get(name)
                .and_then(|v| v.get("S"))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    ApiError::validation(format!(
                        "One of the required keys was not given a value: {what} has no string `{name}`"
                    ))
                })
        };
        Ok(Key::new(
            part(&config.pk_attribute)?,
            part(&config.sk_attribute)?,
        ))
    }

    /// One `Put`, `Update`, `Delete` or `ConditionCheck`.
    fn write_op(&self, kind: &str, body: &Value) -> Result<WriteOp, ApiError> {
        self.table(body)?;
        let expression = Expression::new(body)?;
        let condition = body
            .get("ConditionExpression")
            .map(|c| {
                let text = c
                    .as_str()
                    .ok_or_else(|| ApiError::validation("ConditionExpression must be a string"))?;
                expression.condition(text, &self.store.config().pk_attribute)
            })
            .transpose()?;
        let mut op = match kind {
            "Put" => {
                let item = body["Item"]
                    .as_object()
                    .ok_or_else(|| ApiError::validation("Item is required"))?;
                let key = self.key(&body["Item"], "Item")?;
                let mut item = item_from_dynamodb_json(item)
                    .map_err(|e| ApiError::validation(e.to_string()))?;
                let config = self.store.config();
                item.remove(&config.pk_attribute);
                item.remove(&config.sk_attribute);
                WriteOp::put(key, item)
            }
            "Update" => {
                let key = self.key(&body["Key"], "Key")?;
                let text = body["UpdateExpression"]
                    .as_str()
                    .ok_or_else(|| ApiError::validation("UpdateExpression is required"))?;
                WriteOp::update(key, expression.update(text)?)
            }
            "Delete" => WriteOp::delete(self.key(&body["Key"], "Key")?),
            _ => {
                let key = self.key(&body["Key"], "Key")?;
                let condition = condition.clone().ok_or_else(|| {
                    ApiError::validation("ConditionCheck requires a ConditionExpression")
                })?;
                WriteOp::check(key, condition)
            }
        };
        if let Some(condition) = condition
            && kind != "ConditionCheck"
        {
            op = op.when(condition);
        }
        Ok(op)
    }
}

fn store_error(error: StoreError) -> ApiError {
    match error {
        StoreError::Transient { message } => {
            ApiError::new("ProvisionedThroughputExceededException", message)
        }
        other => ApiError::new("InternalServerError", other.to_string()),
    }
}

/// The names and values an expression refers to.
struct Expression {
    names: Map<String, Value>,
    values: Map<String, Value>,
}

/// A token of an expression.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Name(String),
    Value(String),
    Word(String),
    Symbol(&'static str),
    Open,
    Close,
    Comma,
}

impl Expression {
    fn new(body: &Value) -> Result<Self, ApiError> {
        let map = |field: &str| -> Result<Map<String, Value>, ApiError> {
            match body.get(field) {
                None | Some(Value::Null) => Ok(Map::new()),
                Some(Value::Object(m)) => Ok(m.clone()),
                Some(_) => Err(ApiError::validation(format!("{field} must be a map"))),
            }
        };
        Ok(Self {
            names: map("ExpressionAttributeNames")?,
            values: map("ExpressionAttributeValues")?,
        })
    }

    fn tokens(text: &str) -> Result<Vec<Token>, ApiError> {
        let mut out = Vec::new();
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        let word = |i: &mut usize| {
            let start = *i;
            while *i < chars.len() && (chars[*i].is_alphanumeric() || chars[*i] == '_') {
                *i += 1;
            }
            chars[start..*i].iter().collect::<String>()
        };
        while i < chars.len() {
            let c = chars[i];
            match c {
                ' ' | '\t' | '\n' | '\r' => i += 1,
                '(' => {
                    out.push(Token::Open);
                    i += 1;
                }
                ')' => {
                    out.push(Token::Close);
                    i += 1;
                }
                ',' => {
                    out.push(Token::Comma);
                    i += 1;
                }
                '.' | '[' => return Err(ApiError::unsupported("a nested attribute path")),
                '#' => {
                    i += 1;
                    out.push(Token::Name(format!("#{}", word(&mut i))));
                }
                ':' => {
                    i += 1;
                    out.push(Token::Value(format!(":{}", word(&mut i))));
                }
                '=' | '+' | '-' => {
                    out.push(Token::Symbol(match c {
                        '=' => "=",
                        '+' => "+",
                        _ => "-",
                    }));
                    i += 1;
                }
                '<' | '>' => {
                    let next = chars.get(i + 1).copied();
                    let (symbol, width) = match (c, next) {
                        ('<', Some('>')) => ("<>", 2),
                        ('<', Some('=')) => ("<=", 2),
                        ('>', Some('=')) => (">=", 2),
                        ('<', _) => ("<", 1),
                        _ => (">", 1),
                    };
                    out.push(Token::Symbol(symbol));
                    i += width;
                }
                c if c.is_alphabetic() || c == '_' => out.push(Token::Word(word(&mut i))),
                other => {
                    return Err(ApiError::validation(format!(
                        "Invalid expression: unexpected `{other}` in `{text}`"
                    )));
                }
            }
        }
        Ok(out)
    }

    fn name(&self, token: &Token) -> Result<String, ApiError> {
        match token {
            Token::Name(alias) => self
                .names
                .get(alias)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    ApiError::validation(format!(
                        "An expression attribute name used in the document path is not defined; attribute name: {alias}"
                    ))
                }),
            Token::Word(word) => Ok(word.clone()),
            other => Err(ApiError::validation(format!(
                "Invalid expression: expected an attribute, found {other:?}"
            ))),
        }
    }

    fn value(&self, token: &Token) -> Result<Value, ApiError> {
        let Token::Value(alias) = token else {
            return Err(ApiError::validation(format!(
                "Invalid expression: expected a value, found {token:?}"
            )));
        };
        let value = self.values.get(alias).ok_or_else(|| {
            ApiError::validation(format!(
                "An expression attribute value used in expression is not defined; attribute value: {alias}"
            ))
        })?;
        from_dynamodb_json(value).map_err(|e| ApiError::validation(e.to_string()))
    }

    fn condition(&self, text: &str, pk_attribute: &str) -> Result<Condition, ApiError> {
        let tokens = Self::tokens(text)?;
        let mut parser = Parser {
            expression: self,
            tokens: &tokens,
            at: 0,
            pk_attribute,
        };
        let condition = parser.or()?;
        if parser.at != tokens.len() {
            return Err(ApiError::validation(format!(
                "Invalid ConditionExpression: unexpected {:?} in `{text}`",
                tokens[parser.at]
            )));
        }
        Ok(condition)
    }

    fn update(&self, text: &str) -> Result<Update, ApiError> {
        let tokens = Self::tokens(text)?;
        let mut update = Update::new();
        let mut at = 0;
        let next = |at: &mut usize| -> Result<&Token, ApiError> {
            let token = tokens.get(*at).ok_or_else(|| {
                ApiError::validation(format!("Invalid UpdateExpression: `{text}` ends early"))
            })?;
            *at += 1;
            Ok(token)
        };
        let mut clause = String::new();
        while at < tokens.len() {
            if let Token::Word(w) = &tokens[at]
                && ["SET", "REMOVE", "ADD", "DELETE"].contains(&w.to_ascii_uppercase().as_str())
            {
                clause = w.to_ascii_uppercase();
                at += 1;
            } else if tokens[at] == Token::Comma && !clause.is_empty() {
                at += 1;
            } else if clause.is_empty() {
                return Err(ApiError::validation(format!(
                    "Invalid UpdateExpression: `{text}` does not start with SET, REMOVE, ADD or DELETE"
                )));
            }
            match clause.as_str() {
                "SET" => {
                    let attr = self.name(next(&mut at)?)?;
                    if next(&mut at)? != &Token::Symbol("=") {
                        return Err(ApiError::validation(format!(
                            "Invalid UpdateExpression: expected `=` after {attr}"
                        )));
                    }
                    let first = next(&mut at)?.clone();
                    let operator = match tokens.get(at) {
                        Some(Token::Symbol(s @ ("+" | "-"))) => {
                            at += 1;
                            Some(*s)
                        }
                        _ => None,
                    };
                    match (first, operator) {
                        (value @ Token::Value(_), None) => {
                            update = update.set(attr, self.value(&value)?);
                        }
                        (base, Some(op)) if self.name(&base).ok().as_deref() == Some(&attr) => {
                            let delta = self.integer(next(&mut at)?)?;
                            update = update.increment(attr, if op == "+" { delta } else { -delta });
                        }
                        (Token::Word(w), _) if w == "if_not_exists" || w == "list_append" => {
                            return Err(ApiError::unsupported(format!("`{w}`")));
                        }
                        _ => {
                            return Err(ApiError::unsupported(format!(
                                "the SET action on {attr} in `{text}`"
                            )));
                        }
                    }
                }
                "REMOVE" => update = update.remove(self.name(next(&mut at)?)?),
                "ADD" => {
                    let attr = self.name(next(&mut at)?)?;
                    let delta = self.integer(next(&mut at)?)?;
                    update = update.increment(attr, delta);
                }
                _ => return Err(ApiError::unsupported("the DELETE action")),
            }
        }
        if update.actions.is_empty() {
            return Err(ApiError::validation("Invalid UpdateExpression: no actions"));
        }
        Ok(update)
    }

    fn integer(&self, token: &Token) -> Result<i64, ApiError> {
        match self.value(token)? {
            Value::Number(n) if n.as_i64().is_some() => Ok(n.as_i64().unwrap_or_default()),
            other => Err(ApiError::unsupported(format!(
                "adding {other} (only whole numbers)"
            ))),
        }
    }
}

/// Recursive descent over a condition: `OR` binds loosest, then `AND`,
/// then `NOT`, then comparisons, `BETWEEN`, `IN` and functions.
struct Parser<'t> {
    expression: &'t Expression,
    tokens: &'t [Token],
    at: usize,
    pk_attribute: &'t str,
}

impl Parser<'_> {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn next(&mut self) -> Result<Token, ApiError> {
        let token =
            self.tokens.get(self.at).cloned().ok_or_else(|| {
                ApiError::validation("Invalid ConditionExpression: it ends early")
            })?;
        self.at += 1;
        Ok(token)
    }

    fn expect(&mut self, token: &Token) -> Result<(), ApiError> {
        let found = self.next()?;
        if &found == token {
            Ok(())
        } else {
            Err(ApiError::validation(format!(
                "Invalid ConditionExpression: expected {token:?}, found {found:?}"
            )))
        }
    }

    fn or(&mut self) -> Result<Condition, ApiError> {
        let mut condition = self.and()?;
        while self.peek_word("OR") {
            self.at += 1;
            condition = condition.or(self.and()?);
        }
        Ok(condition)
    }

    fn and(&mut self) -> Result<Condition, ApiError> {
        let mut condition = self.not()?;
        while self.peek_word("AND") {
            self.at += 1;
            condition = condition.and(self.not()?);
        }
        Ok(condition)
    }

    fn not(&mut self) -> Result<Condition, ApiError> {
        if self.peek_word("NOT") {
            self.at += 1;
            return Ok(Condition::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Condition, ApiError> {
        let token = self.next()?;
        if token == Token::Open {
            let inner = self.or()?;
            self.expect(&Token::Close)?;
            return Ok(inner);
        }
        if let Token::Word(function) = &token
            && self.tokens.get(self.at) == Some(&Token::Open)
        {
            self.at += 1;
            let attr = self.expression.name(&self.next()?)?;
            let condition = match function.as_str() {
                "attribute_exists" if attr == self.pk_attribute => Condition::ItemExists,
                "attribute_not_exists" if attr == self.pk_attribute => Condition::ItemNotExists,
                "attribute_exists" => Condition::Exists(attr),
                "attribute_not_exists" => Condition::NotExists(attr),
                "begins_with" => {
                    self.expect(&Token::Comma)?;
                    match self.expression.value(&self.next()?)? {
                        Value::String(prefix) => Condition::BeginsWith(attr, prefix),
                        other => {
                            return Err(ApiError::validation(format!(
                                "begins_with needs a string, not {other}"
                            )));
                        }
                    }
                }
                other => return Err(ApiError::unsupported(format!("the function `{other}`"))),
            };
            self.expect(&Token::Close)?;
            return Ok(condition);
        }
        // An operand, then a comparator, BETWEEN or IN.
        let left = token;
        let operator = self.next()?;
        match operator {
            Token::Symbol(symbol) => {
                let right = self.next()?;
                let comparison = match symbol {
                    "=" => Comparison::Eq,
                    "<>" => Comparison::Ne,
                    "<" => Comparison::Lt,
                    "<=" => Comparison::Le,
                    ">" => Comparison::Gt,
                    ">=" => Comparison::Ge,
                    other => {
                        return Err(ApiError::validation(format!(
                            "Invalid ConditionExpression: `{other}` is not a comparator"
                        )));
                    }
                };
                self.compare(&left, comparison, &right)
            }
            Token::Word(w) if w.eq_ignore_ascii_case("BETWEEN") => {
                let low = self.next()?;
                if !self.peek_word("AND") {
                    return Err(ApiError::validation(
                        "Invalid ConditionExpression: BETWEEN needs AND",
                    ));
                }
                self.at += 1;
                let high = self.next()?;
                Ok(self.compare(&left, Comparison::Ge, &low)?.and(self.compare(
                    &left,
                    Comparison::Le,
                    &high,
                )?))
            }
            Token::Word(w) if w.eq_ignore_ascii_case("IN") => {
                self.expect(&Token::Open)?;
                let mut any: Option<Condition> = None;
                loop {
                    let candidate = self.next()?;
                    let equal = self.compare(&left, Comparison::Eq, &candidate)?;
                    any = Some(match any {
                        None => equal,
                        Some(so_far) => so_far.or(equal),
                    });
                    match self.next()? {
                        Token::Comma => continue,
                        Token::Close => break,
                        other => {
                            return Err(ApiError::validation(format!(
                                "Invalid ConditionExpression: unexpected {other:?} in IN"
                            )));
                        }
                    }
                }
                any.ok_or_else(|| ApiError::validation("IN needs at least one value"))
            }
            other => Err(ApiError::validation(format!(
                "Invalid ConditionExpression: expected a comparator, found {other:?}"
            ))),
        }
    }

    /// `attr op :value` (or `:value op attr`, flipped).
    fn compare(
        &self,
        left: &Token,
        comparison: Comparison,
        right: &Token,
    ) -> Result<Condition, ApiError> {
        let flipped = |c: Comparison| match c {
            Comparison::Lt => Comparison::Gt,
            Comparison::Le => Comparison::Ge,
            Comparison::Gt => Comparison::Lt,
            Comparison::Ge => Comparison::Le,
            other => other,
        };
        match (left, right) {
            (Token::Value(_), Token::Value(_)) => {
                Err(ApiError::unsupported("comparing two values"))
            }
            (attr, value @ Token::Value(_)) => Ok(Condition::Compare(
                self.expression.name(attr)?,
                comparison,
                self.expression.value(value)?,
            )),
            (value @ Token::Value(_), attr) => Ok(Condition::Compare(
                self.expression.name(attr)?,
                flipped(comparison),
                self.expression.value(value)?,
            )),
            _ => Err(ApiError::unsupported("comparing two attributes")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MemoryStore, StoreConfig};

    fn api_call(store: &MemoryStore, operation: &str, request: Value) -> Result<Value, ApiError> {
        let api = DynamoApi::new(store);
        futures_lite(api.call(operation, &request, 1_000))
    }

    /// Drives a future that never waits (the memory store's) to completion.
    fn futures_lite<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(future)
    }

    fn root_put(status: &str) -> Value {
        json!({"Put": {
            "TableName": "t",
            "Item": {"PK": {"S": "TRIP#1"}, "SK": {"S": "METADATA"}, "status": {"S": status},
                     "version": {"N": "1"}},
            "ConditionExpression": "attribute_not_exists(#pk)",
            "ExpressionAttributeNames": {"#pk": "PK"}
        }})
    }

    #[test]
    fn a_transaction_commits_all_or_nothing_and_names_the_failed_condition() {
        let store = MemoryStore::new(StoreConfig::new("t"));
        api_call(
            &store,
            "TransactWriteItems",
            json!({"TransactItems": [root_put("PENDING")]}),
        )
        .unwrap();
        let update = json!({"Update": {
            "TableName": "t",
            "Key": {"PK": {"S": "TRIP#1"}, "SK": {"S": "METADATA"}},
            "UpdateExpression": "SET #status = :status ADD #version :one",
            "ConditionExpression": "#status = :initial",
            "ExpressionAttributeNames": {"#status": "status", "#version": "version"},
            "ExpressionAttributeValues": {":status": {"S": "CONFIRMED"}, ":one": {"N": "1"},
                                          ":initial": {"S": "PENDING"}}
        }});
        let outbox = json!({"Put": {
            "TableName": "t",
            "Item": {"PK": {"S": "TRIP#1"}, "SK": {"S": "OUTBOX#e1"}},
            "ConditionExpression": "attribute_not_exists(#pk)",
            "ExpressionAttributeNames": {"#pk": "PK"}
        }});
        api_call(
            &store,
            "TransactWriteItems",
            json!({"TransactItems": [update.clone(), outbox.clone()]}),
        )
        .unwrap();
        let root = &store.items()[0];
        assert_eq!(root["status"], json!("CONFIRMED"));
        assert_eq!(root["version"], json!(2));

        // The same again: the status is no longer PENDING and the outbox
        // item exists, so both conditions fail and nothing is written.
        let e = api_call(
            &store,
            "TransactWriteItems",
            json!({"TransactItems": [update.clone(), outbox]}),
        )
        .unwrap_err();
        assert_eq!(e.asl_error(), "DynamoDb.TransactionCanceledException");
        assert_eq!(
            e.message,
            "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, ConditionalCheckFailed]"
        );
        assert_eq!(store.items().len(), 2);
        assert_eq!(e.cancellation_reasons.len(), 2);

        // Two operations on one item are refused before anything runs.
        let e = api_call(
            &store,
            "TransactWriteItems",
            json!({"TransactItems": [update, root_put("PENDING")]}),
        )
        .unwrap_err();
        assert_eq!(e.code, "ValidationException");
    }

    #[test]
    fn a_client_request_token_makes_a_repeat_a_no_op_for_ten_minutes() {
        let store = MemoryStore::new(StoreConfig::new("t"));
        let api = DynamoApi::new(&store);
        let request = json!({"TransactItems": [root_put("PENDING")], "ClientRequestToken": "tok"});
        futures_lite(api.call("TransactWriteItems", &request, 100)).unwrap();
        // Would fail its condition, but the token says it already happened.
        futures_lite(api.call("TransactWriteItems", &request, 200)).unwrap();
        let other = json!({"TransactItems": [root_put("OTHER")], "ClientRequestToken": "tok"});
        let e = futures_lite(api.call("TransactWriteItems", &other, 300)).unwrap_err();
        assert_eq!(e.code, "IdempotentParameterMismatchException");
        // Ten minutes later the token is forgotten and the condition decides.
        let e = futures_lite(api.call("TransactWriteItems", &request, 100 + 600)).unwrap_err();
        assert_eq!(e.code, "TransactionCanceledException");
    }

    #[test]
    fn expressions_parse_into_the_stores_conditions() {
        let e = Expression::new(&json!({
            "ExpressionAttributeNames": {"#s": "status", "#pk": "PK"},
            "ExpressionAttributeValues": {":a": {"S": "A"}, ":b": {"S": "B"}, ":n": {"N": "3"}}
        }))
        .unwrap();
        assert_eq!(
            e.condition("attribute_not_exists(#pk)", "PK").unwrap(),
            Condition::ItemNotExists
        );
        assert_eq!(
            e.condition("NOT (#s = :a OR #s IN (:b)) AND seats >= :n", "PK")
                .unwrap(),
            Condition::Not(Box::new(
                Condition::eq("status", "A").or(Condition::eq("status", "B"))
            ))
            .and(Condition::ge("seats", 3))
        );
        assert_eq!(
            e.condition(":n < seats", "PK").unwrap(),
            Condition::gt("seats", 3)
        );
        assert_eq!(
            e.update("SET #s = :a, seats = seats - :n REMOVE hold")
                .unwrap(),
            Update::new()
                .set("status", "A")
                .increment("seats", -3)
                .remove("hold")
        );
        for (bad, code) in [
            ("#missing = :a", "ValidationException"),
            ("a.b = :a", "ValidationException"),
            ("size(#s) > :n", "ValidationException"),
            ("#s = ", "ValidationException"),
        ] {
            assert_eq!(e.condition(bad, "PK").unwrap_err().code, code, "{bad}");
        }
        assert!(
            e.condition("size(#s) > :n", "PK")
                .unwrap_err()
                .message
                .contains("not supported")
        );
    }

    #[test]
    fn other_tables_and_missing_keys_are_refused() {
        let store = MemoryStore::new(StoreConfig::new("t"));
        let e = api_call(
            &store,
            "GetItem",
            json!({"TableName": "other", "Key": {"PK": {"S": "a"}, "SK": {"S": "b"}}}),
        )
        .unwrap_err();
        assert_eq!(e.code, "ResourceNotFoundException");
        let e = api_call(
            &store,
            "PutItem",
            json!({"TableName": "t", "Item": {"PK": {"S": "a"}}}),
        )
        .unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert!(e.message.contains("SK"), "{e}");
    }
}
