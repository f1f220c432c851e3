//! CloudWatch Metric Stream → Kinesis Data Firehose → Datadog.
//!
//! Emitted when the spec wires Datadog and lists metric-stream namespaces.
//! The stream sends the namespaces in OpenTelemetry 1.0 format to a Firehose
//! delivery stream (encrypted with the stack key) whose HTTP endpoint
//! destination is the Datadog AWS-metrics intake of the spec's site, with
//! the API key resolved from the Datadog secret at deploy time. Records
//! Datadog refuses are backed up to an encrypted, versioned, private S3
//! bucket whose access is logged to a second bucket.

use serde_json::{Value, json};

use super::bucket::{access_log_bucket, access_log_policy, deny_insecure, public_access_block};
use super::model::{Resource, allow, assume_role_from_account, att, r, role, sub};
use super::{Stack, params};
use crate::naming::Resource as Aws;

/// The Datadog intake for AWS metrics of a site (Kinesis Firehose protocol),
/// as listed in Datadog's own CloudFormation templates.
pub fn datadog_intake(site: &str) -> String {
    format!("https://awsmetrics-intake.{site}/api/v2/awsmetrics?dd-protocol=aws-kinesis-firehose")
}

const BUCKET: &str = "MetricStreamBackupBucket";
const LOG_BUCKET: &str = "MetricStreamBackupAccessLogBucket";
const FIREHOSE: &str = "MetricStreamDeliveryStream";
const FIREHOSE_ROLE: &str = "MetricStreamDeliveryRole";
const FIREHOSE_LOGS: &str = "MetricStreamDeliveryLogGroup";

pub(super) fn build(stack: &mut Stack<'_>) {
    let saga = stack.saga;
    let Some(dd) = stack.datadog() else {
        return;
    };
    let namespaces = &saga.observability.metric_stream_namespaces;
    if namespaces.is_empty() {
        return;
    }
    let retention = saga.observability.log_retention_days;

    // Access logs of the backup bucket.
    stack.template.add(
        LOG_BUCKET,
        access_log_bucket(
            "the backup bucket",
            lifecycle(365),
            stack.tags("observability"),
        ),
    );
    stack.template.add(
        format!("{LOG_BUCKET}Policy"),
        access_log_policy(LOG_BUCKET, Some(att(BUCKET, "Arn"))),
    );

    // The backup bucket of failed deliveries.
    stack.template.add(
        BUCKET,
        Resource::new(
            "AWS::S3::Bucket",
            json!({
                "BucketEncryption": { "ServerSideEncryptionConfiguration": [{
                    "ServerSideEncryptionByDefault": { "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": stack.key_arn() },
                    "BucketKeyEnabled": true,
                }] },
                "VersioningConfiguration": { "Status": "Enabled" },
                "PublicAccessBlockConfiguration": public_access_block(),
                "OwnershipControls": { "Rules": [{ "ObjectOwnership": "BucketOwnerEnforced" }] },
                "LoggingConfiguration": { "DestinationBucketName": r(LOG_BUCKET), "LogFilePrefix": "backup-bucket/" },
                "LifecycleConfiguration": { "Rules": [lifecycle(retention.max(30))] },
                "Tags": stack.tags("observability"),
            }),
        )
        .retain()
        .metadata("sagac", json!({ "about": "Metric records the Datadog intake refused after Firehose's retries." })),
    );
    stack.template.add(
        format!("{BUCKET}Policy"),
        Resource::new(
            "AWS::S3::BucketPolicy",
            json!({
                "Bucket": r(BUCKET),
                "PolicyDocument": { "Version": "2012-10-17", "Statement": [deny_insecure(BUCKET)] },
            }),
        ),
    );

    // Firehose: role, error log, delivery stream.
    let log_group_name = stack.named(
        Aws::LogGroup,
        format!("/aws/kinesisfirehose/{}-metrics", saga.kebab),
    );
    stack.template.add(
        FIREHOSE_LOGS,
        Resource::new(
            "AWS::Logs::LogGroup",
            json!({
                "LogGroupName": log_group_name,
                "RetentionInDays": retention,
                "KmsKeyId": stack.key_arn(),
                "Tags": stack.tags("observability"),
            }),
        ),
    );
    stack.template.add(
        format!("{FIREHOSE_LOGS}Stream"),
        Resource::new(
            "AWS::Logs::LogStream",
            json!({ "LogGroupName": r(FIREHOSE_LOGS), "LogStreamName": "http-endpoint-delivery" }),
        ),
    );
    stack.template.add(
        FIREHOSE_ROLE,
        role(
            assume_role_from_account("firehose.amazonaws.com"),
            "least-privilege",
            vec![
                allow(
                    "BackUpFailedRecords",
                    &[
                        "s3:AbortMultipartUpload",
                        "s3:GetBucketLocation",
                        "s3:GetObject",
                        "s3:ListBucket",
                        "s3:ListBucketMultipartUploads",
                        "s3:PutObject",
                    ],
                    vec![att(BUCKET, "Arn"), sub(format!("${{{BUCKET}.Arn}}/*"))],
                ),
                allow(
                    "EncryptBackups",
                    &["kms:Decrypt", "kms:GenerateDataKey"],
                    vec![stack.key_arn()],
                ),
                allow(
                    "WriteDeliveryErrors",
                    &["logs:PutLogEvents"],
                    vec![att(FIREHOSE_LOGS, "Arn")],
                ),
            ],
            &[],
            stack.tags("observability"),
        ),
    );
    stack.template.add(
        FIREHOSE,
        Resource::new(
            "AWS::KinesisFirehose::DeliveryStream",
            json!({
                "DeliveryStreamType": "DirectPut",
                "DeliveryStreamEncryptionConfigurationInput": { "KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": stack.key_arn() },
                "HttpEndpointDestinationConfiguration": {
                    "EndpointConfiguration": {
                        "Name": format!("Datadog {}", dd.site),
                        "Url": datadog_intake(&dd.site),
                        // Resolved by CloudFormation at deploy time; the key never
                        // appears in the template or its parameters.
                        "AccessKey": sub(format!("{{{{resolve:secretsmanager:${{{}}}:SecretString}}}}", params::DATADOG_SECRET)),
                    },
                    "RequestConfiguration": { "ContentEncoding": "GZIP" },
                    "BufferingHints": { "IntervalInSeconds": 60, "SizeInMBs": 4 },
                    "RetryOptions": { "DurationInSeconds": 60 },
                    "RoleARN": att(FIREHOSE_ROLE, "Arn"),
                    "S3BackupMode": "FailedDataOnly",
                    "S3Configuration": {
                        "BucketARN": att(BUCKET, "Arn"),
                        "RoleARN": att(FIREHOSE_ROLE, "Arn"),
                        "CompressionFormat": "GZIP",
                        "ErrorOutputPrefix": "failed/",
                        "EncryptionConfiguration": { "KMSEncryptionConfig": { "AWSKMSKeyARN": stack.key_arn() } },
                    },
                    "CloudWatchLoggingOptions": {
                        "Enabled": true,
                        "LogGroupName": r(FIREHOSE_LOGS),
                        "LogStreamName": r(&format!("{FIREHOSE_LOGS}Stream")),
                    },
                },
                "Tags": stack.tags("observability"),
            }),
        ),
    );

    // The metric stream.
    stack.template.add(
        "MetricStreamRole",
        role(
            assume_role_from_account("streams.metrics.cloudwatch.amazonaws.com"),
            "least-privilege",
            vec![allow(
                "PutMetricRecords",
                &["firehose:PutRecord", "firehose:PutRecordBatch"],
                vec![att(FIREHOSE, "Arn")],
            )],
            &[],
            stack.tags("observability"),
        ),
    );
    let filters: Vec<Value> = namespaces
        .iter()
        .map(|n| json!({ "Namespace": n }))
        .collect();
    let physical_name = stack.named(Aws::MetricStream, format!("{}-metrics", saga.kebab));
    stack.template.add(
        "MetricStream",
        Resource::new(
            "AWS::CloudWatch::MetricStream",
            json!({
                "Name": physical_name,
                "OutputFormat": "opentelemetry1.0",
                "FirehoseArn": att(FIREHOSE, "Arn"),
                "RoleArn": att("MetricStreamRole", "Arn"),
                "IncludeFilters": filters,
                "Tags": stack.tags("observability"),
            }),
        ),
    );
}

fn lifecycle(days: u32) -> Value {
    json!({
        "Id": "expire",
        "Status": "Enabled",
        "ExpirationInDays": days,
        "NoncurrentVersionExpiration": { "NoncurrentDays": 30 },
        "AbortIncompleteMultipartUpload": { "DaysAfterInitiation": 7 },
    })
}
