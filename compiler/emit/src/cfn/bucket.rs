//! What the S3 buckets of both templates share (the stack's metric-stream
//! backup and the pipeline's artifact and code buckets): public access
//! blocked, TLS only, and the access-log bucket their server access logs
//! are delivered to.

use serde_json::{Map, Value, json};

use super::model::{Resource, att, policy_document, r, sub};

/// Blocks every form of public access to a bucket.
pub(crate) fn public_access_block() -> Value {
    json!({ "BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true })
}

/// Denies any request to the bucket that does not use TLS.
pub(crate) fn deny_insecure(bucket: &str) -> Value {
    json!({
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [att(bucket, "Arn"), sub(format!("${{{bucket}.Arn}}/*"))],
        "Condition": { "Bool": { "aws:SecureTransport": "false" } },
    })
}

/// A bucket that receives the server access logs of `logged` (named in
/// the checkov skip's reason, e.g. "the backup bucket"), expiring objects
/// by `lifecycle` (one rule), retained with the stack.
pub(crate) fn access_log_bucket(logged: &str, lifecycle: Value, tags: Value) -> Resource {
    Resource::new(
        "AWS::S3::Bucket",
        json!({
            // Server access logging can deliver only to SSE-S3 buckets.
            "BucketEncryption": { "ServerSideEncryptionConfiguration": [{ "ServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" } }] },
            "VersioningConfiguration": { "Status": "Enabled" },
            "PublicAccessBlockConfiguration": public_access_block(),
            "OwnershipControls": { "Rules": [{ "ObjectOwnership": "BucketOwnerEnforced" }] },
            "LifecycleConfiguration": { "Rules": [lifecycle] },
            "Tags": tags,
        }),
    )
    .retain()
    .checkov_skip(
        "CKV_AWS_18",
        &format!(
            "This bucket is the access-log target of {logged}; logging it would log its own log deliveries."
        ),
    )
}

/// The policy of the access-log bucket `log_bucket`: TLS only, and S3's
/// log delivery may put objects into it for this account's buckets, for
/// the bucket whose ARN is `source` alone when there is one.
pub(crate) fn access_log_policy(log_bucket: &str, source: Option<Value>) -> Resource {
    let mut condition = Map::new();
    if let Some(source) = source {
        condition.insert("ArnLike".into(), json!({ "aws:SourceArn": source }));
    }
    condition.insert(
        "StringEquals".into(),
        json!({ "aws:SourceAccount": r("AWS::AccountId") }),
    );
    Resource::new(
        "AWS::S3::BucketPolicy",
        json!({
            "Bucket": r(log_bucket),
            "PolicyDocument": policy_document(vec![
                deny_insecure(log_bucket),
                json!({
                    "Sid": "S3ServerAccessLogDelivery",
                    "Effect": "Allow",
                    "Principal": { "Service": "logging.s3.amazonaws.com" },
                    "Action": "s3:PutObject",
                    "Resource": sub(format!("${{{log_bucket}.Arn}}/*")),
                    "Condition": condition,
                }),
            ]),
        }),
    )
}
