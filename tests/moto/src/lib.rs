//! The test server of every Rust test suite that talks to AWS (the
//! runtime's integration tests, the services' test kit, the CLI's
//! `package` and `deploy` tests), written once.
//!
//! [`endpoint`] is `AWS_ENDPOINT_URL` when set (`scripts/test.sh` sets it,
//! as does `eval "$(scripts/moto-server.sh env)"`). Otherwise the first
//! caller starts the project's server (`scripts/moto_server_serial.py`,
//! moto's server handling one request at a time, with the Python of
//! `.cache/venv` that `scripts/setup-tools.sh` installs) on a free
//! loopback port, under a small shell wrapper that stops it when the test
//! process exits, however it exits: the wrapper waits for end-of-file on a
//! pipe only this process holds.
#![deny(missing_docs)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a started server may take to answer.
const START_TIMEOUT: Duration = Duration::from_secs(60);

struct Server {
    endpoint: String,
    // Held so that the wrapper's stdin stays open until the process exits.
    _wrapper: Option<Child>,
}

/// The server's endpoint, e.g. `http://127.0.0.1:5000`: `AWS_ENDPOINT_URL`
/// when set, else a server started on first use for this process.
///
/// # Panics
/// When `AWS_ENDPOINT_URL` is unset and `.cache/venv` has no moto, or the
/// started server does not answer within a minute (its log is named).
pub fn endpoint() -> &'static str {
    static SERVER: OnceLock<Server> = OnceLock::new();
    &SERVER.get_or_init(start).endpoint
}

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The command that starts the project's test server: moto's server
/// handling one request at a time (`scripts/moto_server_serial.py` says
/// why), with the Python of `.cache/venv` (`scripts/setup-tools.sh`).
fn moto_command() -> Option<String> {
    let root = repository_root();
    let python = root.join(".cache/venv/bin/python");
    let script = root.join("scripts/moto_server_serial.py");
    (python.exists() && script.exists())
        .then(|| format!("'{}' '{}'", python.display(), script.display()))
}

fn start() -> Server {
    if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") {
        return Server {
            endpoint,
            _wrapper: None,
        };
    }
    let Some(command) = moto_command() else {
        panic!(
            "no moto_server: AWS_ENDPOINT_URL is unset and .cache/venv has no moto. \
             Run scripts/setup-tools.sh (installs moto into .cache/venv), or \
             start one with scripts/moto-server.sh start and eval \"$(scripts/moto-server.sh env)\"."
        );
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port");
    let log = std::env::temp_dir().join(format!("sagac-moto-{port}.log"));
    // The wrapper kills moto when its stdin reaches end-of-file, which
    // happens when this process exits, however it exits.
    let script = format!(
        "{command} -H 127.0.0.1 -p {port} >'{}' 2>&1 & pid=$!; read _; kill $pid",
        log.display()
    );
    let wrapper = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start moto_server");
    let deadline = Instant::now() + START_TIMEOUT;
    while !answers(port) {
        assert!(
            Instant::now() < deadline,
            "moto_server did not answer on port {port} within {} s; see {}",
            START_TIMEOUT.as_secs(),
            log.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Server {
        endpoint: format!("http://127.0.0.1:{port}"),
        _wrapper: Some(wrapper),
    }
}

/// Whether moto answers HTTP on `port` (its dashboard page: cheap, unlike
/// `data.json`, which serialises every backend).
fn answers(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    matches!(s.read(&mut head), Ok(n) if n >= 12 && head.starts_with(b"HTTP/1."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_server_is_found_in_the_repository() {
        assert!(
            repository_root()
                .join("scripts/moto_server_serial.py")
                .exists()
        );
    }

    #[test]
    fn a_closed_port_does_not_answer() {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        assert!(!answers(port));
    }
}
