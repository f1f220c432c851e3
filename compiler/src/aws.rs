//! The AWS side of `sagac package --upload` and `sagac deploy`: the SDK's
//! standard configuration chain (`AWS_PROFILE`, `AWS_REGION`,
//! `AWS_ENDPOINT_URL*`, credentials), errors as people read them, and the
//! content-addressed uploads.

use std::error::Error as StdError;
use std::future::Future;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;

use crate::package::{Error, Packaged, size};

/// Runs `future` to completion on a single-threaded runtime (the commands
/// make one request at a time).
pub fn block_on<T>(future: impl Future<Output = T>) -> Result<T, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    Ok(runtime.block_on(future))
}

/// The SDK configuration from the standard chain. A region is required: every
/// call below is regional.
pub async fn config() -> Result<SdkConfig, Error> {
    let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
    if config.region().is_none() {
        return Err(Error::Usage(
            "no AWS region is configured: set AWS_REGION, or a `region` in the profile AWS_PROFILE names".into(),
        ));
    }
    Ok(config)
}

/// An S3 client; path-style addressing when `AWS_ENDPOINT_URL*` points at a
/// local server (`http://127.0.0.1:5000` has no `<bucket>.` subdomains).
pub fn s3(config: &SdkConfig) -> aws_sdk_s3::Client {
    let local = config
        .endpoint_url()
        .is_some_and(|url| !url.contains("amazonaws.com"));
    let s3 = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(local)
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}

/// An SDK error as one line: the service's code and message when it sent
/// them, else the whole chain of causes (no credentials, no connection, ...).
pub fn explain<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + StdError + 'static,
    R: std::fmt::Debug,
{
    if let Some(service) = error.as_service_error() {
        match (service.code(), service.message()) {
            (Some(code), Some(message)) => return format!("{code}: {message}"),
            (Some(code), None) => return code.to_owned(),
            (None, Some(message)) => return message.to_owned(),
            (None, None) => {}
        }
    }
    DisplayErrorContext(error).to_string()
}

/// Checks that `bucket` exists and may be used, with an error that says
/// which it is.
pub async fn check_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), Error> {
    match s3.head_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let status = e.raw_response().map(|r| r.status().as_u16());
            Err(Error::Failed(match status {
                Some(404) => format!(
                    "the artifact bucket `{bucket}` does not exist (in this account and region)"
                ),
                Some(403) => format!(
                    "the artifact bucket `{bucket}` exists but these credentials may not use it (403)"
                ),
                _ => format!(
                    "cannot reach the artifact bucket `{bucket}`: {}",
                    explain(&e)
                ),
            }))
        }
    }
}

/// Whether `key` is already in `bucket`.
async fn exists(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Result<bool, Error> {
    match s3.head_object().bucket(bucket).key(key).send().await {
        Ok(_) => Ok(true),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(false),
        Err(e) => Err(Error::Failed(format!(
            "cannot look for s3://{bucket}/{key}: {}",
            explain(&e)
        ))),
    }
}

/// Puts `bytes` at `key` unless an object is already there (keys are
/// content-addressed, so one that exists holds these bytes). Returns
/// whether it uploaded.
pub async fn put_once(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    bytes: Vec<u8>,
    content_type: &str,
) -> Result<bool, Error> {
    if exists(s3, bucket, key).await? {
        return Ok(false);
    }
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(bytes))
        .send()
        .await
        .map_err(|e| {
            Error::Failed(format!(
                "cannot upload s3://{bucket}/{key}: {}",
                explain(&e)
            ))
        })?;
    Ok(true)
}

/// Uploads every package to `bucket` by its key, printing what it did.
pub async fn upload(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    packaged: &[Packaged],
) -> Result<(), Error> {
    let mut rows = Vec::new();
    for p in packaged {
        let bytes = std::fs::read(&p.zip)
            .map_err(|e| Error::Usage(format!("cannot read {}: {e}", p.zip.display())))?;
        let what = if put_once(s3, bucket, &p.key, bytes, "application/zip").await? {
            format!("uploaded ({})", size(p.size))
        } else {
            "already there".to_owned()
        };
        rows.push(vec![
            p.artifact.prefix.clone(),
            format!("s3://{bucket}/{}", p.key),
            what,
        ]);
    }
    crate::build::say(&sagac_executor::render::columns(&rows, &[]));
    Ok(())
}

/// `sagac package --upload`: the uploads with a configuration of their own.
pub fn upload_all(bucket: &str, packaged: &[Packaged]) -> Result<(), Error> {
    block_on(async {
        let config = config().await?;
        let s3 = s3(&config);
        check_bucket(&s3, bucket).await?;
        upload(&s3, bucket, packaged).await
    })?
}
