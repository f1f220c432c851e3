//! The runtime's HTTPS client (`sagac_runtime::aws`) against a real TLS
//! server on loopback: a DynamoDB call succeeds when the server's CA is
//! the bundle the client trusts, and fails in the handshake when it is not.

use std::path::Path;
use std::sync::Arc;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use sagac_runtime::aws::{bundle_trust_store, https_client_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// A CA (its PEM) and a certificate for `localhost` it signed (DER and
/// key).
struct Pki {
    ca_pem: String,
    server: tokio_rustls::rustls::pki_types::CertificateDer<'static>,
    server_key: PrivateKeyDer<'static>,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "sagac test CA");
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);
    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();
    Pki {
        ca_pem,
        server: server.der().clone(),
        server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()).into(),
    }
}

/// Serves TLS on loopback, answering each HTTP request with an empty
/// DynamoDB `ListTables` response; returns the port.
async fn serve(pki: &Pki) -> u16 {
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![pki.server.clone()], pki.server_key.clone_key())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A failed handshake is what the untrusting client causes.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let body = br#"{"TableNames":[]}"#;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = tls.write_all(head.as_bytes()).await;
                let _ = tls.write_all(body).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

fn client(port: u16, bundle: &Path) -> aws_sdk_dynamodb::Client {
    let trust = bundle_trust_store(bundle).expect("the bundle is usable");
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::for_tests())
        .endpoint_url(format!("https://localhost:{port}"))
        .http_client(https_client_with(trust))
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

#[tokio::test]
async fn the_https_client_trusts_exactly_its_bundle() {
    let pki = pki();
    let port = serve(&pki).await;
    let dir = std::env::temp_dir().join(format!("sagac-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ours = dir.join("ca.pem");
    std::fs::write(&ours, &pki.ca_pem).unwrap();

    let tables = client(port, &ours).list_tables().send().await;
    let tables = tables.expect("a server signed by the trusted bundle's CA is accepted");
    assert_eq!(tables.table_names(), &[] as &[String]);

    // Another CA's bundle: the same server is refused in the handshake.
    let other = dir.join("other.pem");
    let stranger = self::pki();
    std::fs::write(&other, stranger.ca_pem).unwrap();
    let refused = client(port, &other).list_tables().send().await;
    let error = refused.expect_err("a server the bundle does not vouch for is refused");
    let chain = std::iter::successors(Some(&error as &(dyn std::error::Error + 'static)), |e| {
        e.source()
    })
    .map(|e| e.to_string())
    .collect::<Vec<_>>()
    .join(": ");
    assert!(
        chain.contains("UnknownIssuer") || chain.contains("certificate"),
        "the refusal is the certificate's: {chain}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
