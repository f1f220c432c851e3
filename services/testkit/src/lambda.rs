//! A fake Lambda Runtime API, to run a real Lambda binary outside Lambda.
//!
//! A Lambda process asks `http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next`
//! for its next event (a long poll), runs it, and posts the outcome to
//! `…/invocation/{id}/response` or `…/invocation/{id}/error`; a failed init
//! is posted to `…/runtime/init/error`. [`FakeRuntime`] serves exactly that
//! on a loopback port, with plain `std` threads so it adds nothing to the
//! process it measures: [`FakeRuntime::invoke`] queues an event and waits
//! for its outcome, and [`FakeRuntime::first_poll`] says when the process
//! first asked for an event, which is where a Lambda's init ends.
//!
//! [`LambdaProcess`] spawns a binary against it with a given environment,
//! and reads its peak resident set size (`VmHWM`) from `/proc`.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;

const PREFIX: &str = "/2018-06-01/runtime";

/// How an invocation ended, as the process reported it.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `POST …/response` with this body.
    Response(Value),
    /// `POST …/error` with this body (`{"errorType": …, "errorMessage": …}`).
    Error(Value),
}

impl Outcome {
    /// The response, or a panic naming the error.
    pub fn unwrap(self) -> Value {
        match self {
            Outcome::Response(v) => v,
            Outcome::Error(e) => panic!("the invocation failed: {e}"),
        }
    }

    /// The error's `errorType`, if it failed.
    pub fn error_type(&self) -> Option<&str> {
        match self {
            Outcome::Response(_) => None,
            Outcome::Error(e) => e.get("errorType").and_then(Value::as_str),
        }
    }
}

/// One completed invocation with its timing.
#[derive(Debug, Clone)]
pub struct Completed {
    /// What the process answered.
    pub outcome: Outcome,
    /// From handing the event out (the `next` response) to receiving the
    /// outcome: the invocation as the Lambda service would time it.
    pub duration: Duration,
}

#[derive(Default)]
struct State {
    queue: VecDeque<(String, Value)>,
    handed_out: HashMap<String, Instant>,
    done: HashMap<String, Completed>,
    first_poll: Option<Instant>,
    init_error: Option<Value>,
    next_id: u64,
    closed: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The fake Runtime API server.
pub struct FakeRuntime {
    address: String,
    shared: Arc<Shared>,
}

impl FakeRuntime {
    /// Starts the server on a free loopback port.
    pub fn start() -> FakeRuntime {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let address = listener.local_addr().expect("local address").to_string();
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        });
        let accepting = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let _ = stream.set_nodelay(true);
                let shared = Arc::clone(&accepting);
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        FakeRuntime { address, shared }
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// When the process first asked for an event, if it has.
    pub fn first_poll(&self) -> Option<Instant> {
        self.shared.lock().first_poll
    }

    /// Waits until the process first asks for an event (its init is over)
    /// or reports an init error; `None` on timeout.
    pub fn wait_for_first_poll(&self, timeout: Duration) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if let Some(at) = state.first_poll {
                return Some(at);
            }
            if let Some(error) = &state.init_error {
                panic!("the Lambda process failed its init: {error}");
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Hands `event` to the process and waits for its outcome.
    pub fn invoke(&self, event: Value, timeout: Duration) -> Completed {
        let id = {
            let mut state = self.shared.lock();
            state.next_id += 1;
            let id = format!("00000000-0000-4000-8000-{:012}", state.next_id);
            state.queue.push_back((id.clone(), event));
            id
        };
        self.shared.changed.notify_all();
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if let Some(done) = state.done.remove(&id) {
                return done;
            }
            if let Some(error) = &state.init_error {
                panic!("the Lambda process failed its init: {error}");
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                panic!("invocation {id} got no outcome within {timeout:?}");
            };
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl Drop for FakeRuntime {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.changed.notify_all();
    }
}

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut length = 0usize;
    let mut chunked = false;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse().ok()?,
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                _ => {}
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body).ok()?;
    }
    Some(Request { method, path, body })
}

fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) -> bool {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).is_ok() && stream.write_all(body).is_ok()
}

/// Serves one keep-alive connection.
fn serve(stream: TcpStream, shared: &Shared) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        let path = request.path.strip_prefix(PREFIX).unwrap_or(&request.path);
        let ok = match (request.method.as_str(), path) {
            ("GET", "/invocation/next") => {
                let Some((id, event)) = next_event(shared) else {
                    return;
                };
                let deadline = sagac_runtime::time::epoch_nanos() / 1_000_000 + 60_000;
                let body = serde_json::to_vec(&event).unwrap_or_default();
                let headers = [
                    ("Lambda-Runtime-Aws-Request-Id", id.clone()),
                    ("Lambda-Runtime-Deadline-Ms", deadline.to_string()),
                    (
                        "Lambda-Runtime-Invoked-Function-Arn",
                        "arn:aws:lambda:us-east-1:123456789012:function:fake:live".to_owned(),
                    ),
                    (
                        "Lambda-Runtime-Trace-Id",
                        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
                            .to_owned(),
                    ),
                ];
                shared.lock().handed_out.insert(id, Instant::now());
                respond(&mut writer, "200 OK", &headers, &body)
            }
            ("POST", "/init/error") => {
                let body = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                shared.lock().init_error = Some(body);
                shared.changed.notify_all();
                respond(&mut writer, "202 Accepted", &[], b"{\"status\":\"OK\"}")
            }
            ("POST", path) => {
                let outcome = path
                    .strip_prefix("/invocation/")
                    .and_then(|rest| rest.split_once('/'))
                    .and_then(|(id, kind)| {
                        let body = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                        match kind {
                            "response" => Some((id.to_owned(), Outcome::Response(body))),
                            "error" => Some((id.to_owned(), Outcome::Error(body))),
                            _ => None,
                        }
                    });
                match outcome {
                    Some((id, outcome)) => {
                        let mut state = shared.lock();
                        let started = state.handed_out.remove(&id).unwrap_or_else(Instant::now);
                        state.done.insert(
                            id,
                            Completed {
                                outcome,
                                duration: started.elapsed(),
                            },
                        );
                        drop(state);
                        shared.changed.notify_all();
                        respond(&mut writer, "202 Accepted", &[], b"{\"status\":\"OK\"}")
                    }
                    None => respond(&mut writer, "404 Not Found", &[], b"{}"),
                }
            }
            _ => respond(&mut writer, "404 Not Found", &[], b"{}"),
        };
        if !ok {
            return;
        }
    }
}

/// Blocks until an event is queued (recording the first poll), or the
/// runtime is dropped.
fn next_event(shared: &Shared) -> Option<(String, Value)> {
    let mut state = shared.lock();
    if state.first_poll.is_none() {
        state.first_poll = Some(Instant::now());
        shared.changed.notify_all();
    }
    loop {
        if state.closed {
            return None;
        }
        if let Some(event) = state.queue.pop_front() {
            return Some(event);
        }
        state = shared
            .changed
            .wait_timeout(state, Duration::from_millis(500))
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}

/// A Lambda binary running against a [`FakeRuntime`]; killed on drop.
pub struct LambdaProcess {
    child: Child,
    /// When the process was spawned (just before `spawn`).
    pub spawned_at: Instant,
}

impl LambdaProcess {
    /// Spawns `binary` with `AWS_LAMBDA_RUNTIME_API` pointing at `runtime`,
    /// the Lambda environment a function gets, and `env` on top. Its
    /// output goes to this process's stderr.
    ///
    /// The process starts from an empty environment, as a function does:
    /// Lambda's defined runtime variables (`PATH`, `LANG`, `TZ`,
    /// `LAMBDA_TASK_ROOT`, ..., the `AWS_LAMBDA_*` ones), `RUST_BACKTRACE`
    /// and `RUST_LOG` passed through for debugging, and `env`. Nothing else
    /// of the test's environment leaks in (a developer's `SSL_CERT_DIR`,
    /// `AWS_PROFILE` or `DD_*` would make the binary behave, and start, as
    /// it does on no Lambda).
    pub fn spawn(
        binary: &Path,
        runtime: &FakeRuntime,
        function_name: &str,
        env: &[(&str, String)],
    ) -> LambdaProcess {
        let mut command = Command::new(binary);
        command.env_clear();
        for name in ["RUST_BACKTRACE", "RUST_LOG"] {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        command
            .env("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin")
            .env("LANG", "en_US.UTF-8")
            .env("TZ", ":UTC")
            .env("LAMBDA_TASK_ROOT", "/var/task")
            .env("LAMBDA_RUNTIME_DIR", "/var/runtime")
            .env("_HANDLER", "bootstrap")
            .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
            .env("AWS_LAMBDA_RUNTIME_API", runtime.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", function_name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{function_name}"),
            )
            .env(
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2025/03/01/[1]0123456789abcdef",
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (name, value) in env {
            command.env(name, value);
        }
        let spawned_at = Instant::now();
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", binary.display()));
        LambdaProcess { child, spawned_at }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The peak resident set size so far, in KiB (`VmHWM` in
    /// `/proc/<pid>/status`), where `/proc` exists.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Whether the process has exited.
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

impl Drop for LambdaProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment a service binary needs against the test server: the
/// table, the endpoint, a region and dummy credentials, and no
/// observability sinks to wait for.
pub fn service_env(table: &str) -> Vec<(&'static str, String)> {
    vec![
        ("TABLE_NAME", table.to_owned()),
        ("AWS_ENDPOINT_URL", crate::endpoint().to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_DEFAULT_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
    ]
}
