//! The template under construction: ordered sections, resources with their
//! attributes in a fixed order, intrinsic function helpers and the naming
//! rules every section shares.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// `{"Ref": name}`.
pub fn r(name: &str) -> Value {
    json!({ "Ref": name })
}

/// `{"Fn::GetAtt": [resource, attribute]}`.
pub fn att(resource: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [resource, attribute] })
}

/// `{"Fn::Sub": text}`.
pub fn sub(text: impl Into<String>) -> Value {
    json!({ "Fn::Sub": text.into() })
}

/// `{"Fn::Sub": [text, variables]}`.
pub fn sub_with(text: impl Into<String>, variables: Value) -> Value {
    json!({ "Fn::Sub": [text.into(), variables] })
}

/// Escapes text for use inside an `Fn::Sub` string: `${` becomes `${!`.
pub fn sub_escape(text: &str) -> String {
    text.replace("${", "${!")
}

/// The first `len` hex digits of the SHA-256 of `value`'s canonical JSON.
pub fn digest(value: &Value, len: usize) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    let hash = Sha256::digest(&bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    hex[..len.min(hex.len())].to_owned()
}

/// A logical id from arbitrary text: ASCII letters and digits only, first
/// letter upper case (`by-status_index` → `Bystatusindex`).
pub fn logical(text: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.push(c.to_ascii_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        } else {
            upper = true;
        }
    }
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert(0, 'R');
    }
    out
}

/// One resource. Attributes are written in a fixed order: `Type`,
/// `Condition`, `DependsOn`, `Metadata`, policies, `Properties`.
#[derive(Debug, Clone)]
pub struct Resource {
    ty: String,
    condition: Option<String>,
    depends_on: Vec<String>,
    metadata: Map<String, Value>,
    checkov_skips: Vec<(String, String)>,
    lint_ignores: Vec<(String, String)>,
    retain: bool,
    update_policy: Option<Value>,
    properties: Value,
}

impl Resource {
    /// A resource of `ty` with `properties`.
    pub fn new(ty: &str, properties: Value) -> Self {
        Self {
            ty: ty.to_owned(),
            condition: None,
            depends_on: Vec::new(),
            metadata: Map::new(),
            checkov_skips: Vec::new(),
            lint_ignores: Vec::new(),
            retain: false,
            update_policy: None,
            properties,
        }
    }

    /// Created only when `condition` holds.
    pub fn condition(mut self, condition: &str) -> Self {
        self.condition = Some(condition.to_owned());
        self
    }

    /// `DeletionPolicy` and `UpdateReplacePolicy` `Retain`.
    pub fn retain(mut self) -> Self {
        self.retain = true;
        self
    }

    /// Adds explicit dependencies.
    pub fn depends_on<S: AsRef<str>>(mut self, ids: &[S]) -> Self {
        self.depends_on
            .extend(ids.iter().map(|s| s.as_ref().to_owned()));
        self
    }

    /// Adds a `Metadata` entry.
    pub fn metadata(mut self, key: &str, value: Value) -> Self {
        self.metadata.insert(key.to_owned(), value);
        self
    }

    /// Skips a checkov check on this resource, with the reason it does not
    /// apply (written inline, where a reviewer reads it).
    pub fn checkov_skip(mut self, id: &str, reason: &str) -> Self {
        self.checkov_skips.push((id.to_owned(), reason.to_owned()));
        self
    }

    /// Skips a checkov check only when `condition` holds.
    pub fn checkov_skip_if(self, condition: bool, id: &str, reason: &str) -> Self {
        if condition {
            self.checkov_skip(id, reason)
        } else {
            self
        }
    }

    /// Ignores a cfn-lint rule on this resource, with the reason.
    pub fn lint_ignore(mut self, rule: &str, reason: &str) -> Self {
        self.lint_ignores.push((rule.to_owned(), reason.to_owned()));
        self
    }

    /// Sets `UpdatePolicy`.
    pub fn update_policy(mut self, policy: Value) -> Self {
        self.update_policy = Some(policy);
        self
    }

    /// The properties.
    pub fn properties(&self) -> &Value {
        &self.properties
    }

    /// The resource type.
    pub fn ty(&self) -> &str {
        &self.ty
    }

    fn into_value(self) -> Value {
        let mut out = Map::new();
        out.insert("Type".into(), Value::from(self.ty));
        if let Some(c) = self.condition {
            out.insert("Condition".into(), Value::from(c));
        }
        if !self.depends_on.is_empty() {
            let mut ids = self.depends_on;
            ids.sort();
            ids.dedup();
            out.insert("DependsOn".into(), Value::from(ids));
        }
        let mut metadata = self.metadata;
        if !self.checkov_skips.is_empty() {
            let skips: Vec<Value> = self
                .checkov_skips
                .iter()
                .map(|(id, comment)| json!({ "id": id, "comment": comment }))
                .collect();
            metadata.insert("checkov".into(), json!({ "skip": skips }));
        }
        if !self.lint_ignores.is_empty() {
            let rules: Vec<&str> = self.lint_ignores.iter().map(|(r, _)| r.as_str()).collect();
            metadata.insert(
                "cfn-lint".into(),
                json!({ "config": { "ignore_checks": rules } }),
            );
            let reasons: Map<String, Value> = self
                .lint_ignores
                .iter()
                .map(|(r, why)| (r.clone(), Value::from(why.as_str())))
                .collect();
            metadata.insert("sagac:cfn-lint-reasons".into(), Value::Object(reasons));
        }
        if !metadata.is_empty() {
            out.insert("Metadata".into(), Value::Object(metadata));
        }
        if self.retain {
            out.insert("DeletionPolicy".into(), Value::from("Retain"));
            out.insert("UpdateReplacePolicy".into(), Value::from("Retain"));
        }
        if let Some(policy) = self.update_policy {
            out.insert("UpdatePolicy".into(), policy);
        }
        out.insert("Properties".into(), self.properties);
        Value::Object(out)
    }
}

/// A template under construction. Sections keep insertion order.
#[derive(Debug, Default)]
pub struct Template {
    description: String,
    metadata: Map<String, Value>,
    parameters: Map<String, Value>,
    rules: Map<String, Value>,
    conditions: Map<String, Value>,
    resources: Vec<(String, Resource)>,
    outputs: Map<String, Value>,
}

impl Template {
    /// An empty template with a description.
    pub fn new(description: impl Into<String>) -> Self {
        Self {
            description: description.into(),
            ..Self::default()
        }
    }

    /// Adds template-level metadata.
    pub fn metadata(&mut self, key: &str, value: Value) {
        self.metadata.insert(key.to_owned(), value);
    }

    /// Adds a parameter.
    pub fn parameter(&mut self, name: &str, definition: Value) {
        self.parameters.insert(name.to_owned(), definition);
    }

    /// Whether a parameter exists.
    pub fn has_parameter(&self, name: &str) -> bool {
        self.parameters.contains_key(name)
    }

    /// Adds a rule.
    pub fn rule(&mut self, name: &str, definition: Value) {
        self.rules.insert(name.to_owned(), definition);
    }

    /// Adds a condition.
    pub fn condition(&mut self, name: &str, definition: Value) {
        self.conditions.insert(name.to_owned(), definition);
    }

    /// Adds a resource. Logical ids are unique by construction; a repeated
    /// one replaces the earlier resource in place (never silently twice).
    pub fn add(&mut self, id: impl Into<String>, resource: Resource) {
        let id = id.into();
        if let Some(slot) = self.resources.iter_mut().find(|(k, _)| *k == id) {
            slot.1 = resource;
        } else {
            self.resources.push((id, resource));
        }
    }

    /// The resources added so far.
    pub fn resources(&self) -> &[(String, Resource)] {
        &self.resources
    }

    /// Adds an output.
    pub fn output(&mut self, name: &str, description: &str, value: Value, export: Option<Value>) {
        let mut out = Map::new();
        out.insert("Description".into(), Value::from(description));
        out.insert("Value".into(), value);
        if let Some(export) = export {
            out.insert("Export".into(), json!({ "Name": export }));
        }
        self.outputs.insert(name.to_owned(), Value::Object(out));
    }

    /// The whole template as a JSON value.
    pub fn into_value(self) -> Value {
        let mut out = Map::new();
        out.insert("AWSTemplateFormatVersion".into(), Value::from("2010-09-09"));
        out.insert("Description".into(), Value::from(self.description));
        if !self.metadata.is_empty() {
            out.insert("Metadata".into(), Value::Object(self.metadata));
        }
        if !self.parameters.is_empty() {
            out.insert("Parameters".into(), Value::Object(self.parameters));
        }
        if !self.rules.is_empty() {
            out.insert("Rules".into(), Value::Object(self.rules));
        }
        if !self.conditions.is_empty() {
            out.insert("Conditions".into(), Value::Object(self.conditions));
        }
        let resources: Map<String, Value> = self
            .resources
            .into_iter()
            .map(|(id, r)| (id, r.into_value()))
            .collect();
        out.insert("Resources".into(), Value::Object(resources));
        if !self.outputs.is_empty() {
            out.insert("Outputs".into(), Value::Object(self.outputs));
        }
        Value::Object(out)
    }
}

/// An IAM policy document.
pub fn policy_document(statements: Vec<Value>) -> Value {
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// An `Allow` statement.
pub fn allow(sid: &str, actions: &[&str], resources: Vec<Value>) -> Value {
    let resource = if resources.len() == 1 {
        resources.into_iter().next().unwrap_or(Value::Null)
    } else {
        Value::from(resources)
    };
    json!({ "Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resource })
}

/// The trust policy of a role assumed by `service` (e.g. `lambda.amazonaws.com`).
pub fn assume_role(service: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": service },
            "Action": "sts:AssumeRole"
        }]
    })
}

/// The trust policy of a role assumed by `service` on behalf of this account
/// only (the confused-deputy guard for services that support it).
pub fn assume_role_from_account(service: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": service },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } }
        }]
    })
}

/// An `AWS::IAM::Role` with one inline policy.
pub fn role(
    trust: Value,
    policy_name: &str,
    statements: Vec<Value>,
    managed: &[Value],
    tags: Value,
) -> Resource {
    let mut props = Map::new();
    props.insert("AssumeRolePolicyDocument".into(), trust);
    if !managed.is_empty() {
        props.insert("ManagedPolicyArns".into(), Value::from(managed.to_vec()));
    }
    if !statements.is_empty() {
        props.insert(
            "Policies".into(),
            json!([{ "PolicyName": policy_name, "PolicyDocument": policy_document(statements) }]),
        );
    }
    props.insert("Tags".into(), tags);
    Resource::new("AWS::IAM::Role", Value::Object(props))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_ids() {
        assert_eq!(logical("flight"), "Flight");
        assert_eq!(logical("by-status_index"), "ByStatusIndex");
        assert_eq!(logical("GSI1"), "GSI1");
        assert_eq!(logical("1x"), "R1x");
    }

    #[test]
    fn resource_attribute_order() {
        let r = Resource::new("AWS::SQS::Queue", json!({}))
            .retain()
            .depends_on(&["B", "A", "B"])
            .checkov_skip("CKV_X", "why");
        let v = r.into_value();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "Type",
                "DependsOn",
                "Metadata",
                "DeletionPolicy",
                "UpdateReplacePolicy",
                "Properties"
            ]
        );
        assert_eq!(v["DependsOn"], json!(["A", "B"]));
    }
}
