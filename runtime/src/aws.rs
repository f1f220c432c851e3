//! The AWS SDK configuration every sagac Lambda loads at init.
//!
//! [`sdk_config`] is `aws_config::defaults(BehaviorVersion::latest())`
//! (region, credentials, `AWS_ENDPOINT_URL*` from the environment) with one
//! change: the HTTPS client trusts the system's CA *bundle* file, read
//! once, instead of the SDK's default, which also reads every file of the
//! system's certificate directory. Both hold the same roots on the
//! distributions Lambda and CI run (the directory is `update-ca-trust` /
//! `update-ca-certificates` output, like the bundle), but the directory is
//! one file per root, and reading it was most of a service's cold start:
//! 146 files, about 5 ms of CPU, on the Debian machines this project is
//! benchmarked on (`scripts/bench-services.sh`).
//!
//! What the SDK would do is kept whenever the choice is not clear-cut:
//! `SSL_CERT_DIR` set (the operator chose a directory), no bundle found,
//! or a bundle with a certificate rustls cannot use (the SDK's own loader
//! skips such a certificate; handing it to the SDK as a custom root would
//! make it panic). `SSL_CERT_FILE` is honoured as the bundle, as
//! `openssl_probe` (which finds the bundle for the SDK too) does.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder, proxy::ProxyConfig};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// The SDK configuration from the environment, over [`https_client`].
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .load()
        .await
}

/// The SDK's default HTTPS client (hyper, rustls on aws-lc, the proxy
/// from the environment) whose trust store is [`trust_store`].
pub fn https_client() -> SharedHttpClient {
    https_client_with(trust_store())
}

/// The SDK's default HTTPS client over the given trust store.
pub fn https_client_with(trust: TrustStore) -> SharedHttpClient {
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .unwrap_or_default();
    Builder::new().build_with_connector_fn(move |settings, components| {
        let mut builder = ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(context.clone());
        builder.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            builder.set_sleep_impl(components.sleep_impl());
        }
        builder.set_proxy_config(Some(ProxyConfig::from_env()));
        builder.build()
    })
}

/// The roots HTTPS connections trust: the system bundle's certificates
/// alone ([`bundle_trust_store`]), or the SDK's native roots (bundle and
/// directory) where the module documentation says so.
pub fn trust_store() -> TrustStore {
    if std::env::var_os("SSL_CERT_DIR").is_some() {
        return TrustStore::default();
    }
    openssl_probe::probe()
        .cert_file
        .and_then(|bundle| bundle_trust_store(&bundle))
        .unwrap_or_default()
}

/// A trust store of exactly the certificates of one PEM bundle file, or
/// `None` if the file cannot be read, holds no certificate, or holds one
/// rustls cannot use as a root.
pub fn bundle_trust_store(bundle: &std::path::Path) -> Option<TrustStore> {
    let pem = std::fs::read(bundle).ok()?;
    usable_bundle(&pem).then(|| {
        TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(pem)
    })
}

/// Whether every certificate of a PEM bundle is one rustls accepts as a
/// root, and there is at least one: what the SDK's rustls provider
/// requires of custom roots (it panics on any other).
fn usable_bundle(pem: &[u8]) -> bool {
    let Ok(certs) = CertificateDer::pem_slice_iter(pem).collect::<Result<Vec<_>, _>>() else {
        return false;
    };
    let total = certs.len();
    let (valid, _) = rustls::RootCertStore::empty().add_parsable_certificates(certs);
    total > 0 && valid == total
}

#[cfg(test)]
mod tests {
    use super::usable_bundle;

    #[test]
    fn a_bundle_is_used_only_when_every_certificate_is_a_usable_root() {
        assert!(!usable_bundle(b""), "no certificate");
        assert!(!usable_bundle(b"not pem at all"), "no certificate");
        let broken = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(!usable_bundle(broken), "a certificate rustls cannot parse");
        let malformed = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        assert!(!usable_bundle(malformed), "bad base64");
        if let Some(system) = openssl_probe::probe().cert_file {
            let pem = std::fs::read(system).expect("the system bundle reads");
            assert!(usable_bundle(&pem), "this machine's bundle is usable");
            let mut with_broken = pem.clone();
            with_broken.extend_from_slice(broken);
            assert!(!usable_bundle(&with_broken));
        }
    }
}
