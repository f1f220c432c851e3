//! DogStatsD distributions over UDP.
//!
//! Lines look like `saga.step.duration:12.5|d|#step:ReserveFlight,env:prod`.
//! The socket is non-blocking and unconnected, and every send error is
//! ignored: with nothing listening on `127.0.0.1:8125` a metric costs one
//! syscall and never an error. `DD_DOGSTATSD_PORT` overrides the port.
//! `env`, `service` and `version` tags are added from `DD_*` variables.

use std::net::{SocketAddr, UdpSocket};
use std::sync::OnceLock;

use super::identity;

/// The default DogStatsD address of the Datadog extension.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:8125";

/// A DogStatsD client.
#[derive(Debug)]
pub struct Metrics {
    socket: Option<UdpSocket>,
    target: SocketAddr,
    default_tags: Vec<String>,
}

impl Metrics {
    /// A client sending to `target` with no default tags. If no socket can
    /// be opened, metrics are silently disabled.
    pub fn new(target: SocketAddr) -> Self {
        let bind: SocketAddr = if target.is_ipv6() {
            SocketAddr::from(([0u16; 8], 0))
        } else {
            SocketAddr::from(([0, 0, 0, 0], 0))
        };
        let socket = UdpSocket::bind(bind)
            .and_then(|s| s.set_nonblocking(true).map(|()| s))
            .ok();
        Self {
            socket,
            target,
            default_tags: Vec::new(),
        }
    }

    /// The client for this process: `127.0.0.1:8125` (or
    /// `DD_DOGSTATSD_PORT`) with `env`, `service` and `version` tags.
    pub fn from_env() -> Self {
        let port = std::env::var("DD_DOGSTATSD_PORT")
            .ok()
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or(8125);
        let mut metrics = Self::new(SocketAddr::from(([127, 0, 0, 1], port)));
        let id = identity();
        for (name, value) in [
            ("env", &id.env),
            ("service", &id.service),
            ("version", &id.version),
        ] {
            if let Some(v) = value {
                metrics.default_tags.push(format!("{name}:{}", sanitize(v)));
            }
        }
        metrics
    }

    /// Records one value of a distribution.
    pub fn distribution(&self, name: &str, value: f64, tags: &[(&str, &str)]) {
        let Some(socket) = &self.socket else { return };
        let line = self.render(name, value, tags);
        // Errors (nobody listening, buffer full) are deliberately ignored.
        let _ = socket.send_to(line.as_bytes(), self.target);
    }

    /// Records a count of one as a distribution point (distributions are
    /// what Datadog recommends for serverless custom metrics).
    pub fn increment(&self, name: &str, tags: &[(&str, &str)]) {
        self.distribution(name, 1.0, tags);
    }

    /// The DogStatsD line for a value.
    pub fn render(&self, name: &str, value: f64, tags: &[(&str, &str)]) -> String {
        let value = if value.is_finite() { value } else { 0.0 };
        let mut line = format!("{}:{value}|d", sanitize(name));
        let mut all: Vec<String> = tags
            .iter()
            .map(|(k, v)| format!("{}:{}", sanitize(k), sanitize(v)))
            .collect();
        all.extend(self.default_tags.iter().cloned());
        if !all.is_empty() {
            line.push_str("|#");
            line.push_str(&all.join(","));
        }
        line
    }
}

/// Replaces the characters that delimit DogStatsD fields.
fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '|' | ',' | '#' | '\n' | '\r' | ' ' => '_',
            c => c,
        })
        .collect()
}

/// The process-wide client.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::from_env)
}

/// Records a distribution value on the process-wide client.
pub fn distribution(name: &str, value: f64, tags: &[(&str, &str)]) {
    metrics().distribution(name, value, tags);
}

/// Records a count of one on the process-wide client.
pub fn increment(name: &str, tags: &[(&str, &str)]) {
    metrics().increment(name, tags);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn renders_dogstatsd_distributions() {
        let mut m = Metrics::new(SocketAddr::from(([127, 0, 0, 1], 9)));
        m.default_tags.push("env:dev".into());
        assert_eq!(
            m.render(
                "saga.step.duration",
                12.5,
                &[("step", "Reserve Flight"), ("outcome", "ok|x")]
            ),
            "saga.step.duration:12.5|d|#step:Reserve_Flight,outcome:ok_x,env:dev"
        );
        assert_eq!(
            Metrics::new(SocketAddr::from(([127, 0, 0, 1], 9))).render("a", 1.0, &[]),
            "a:1|d"
        );
    }

    #[test]
    fn delivers_to_a_listener() {
        let listener = UdpSocket::bind("127.0.0.1:0").unwrap();
        listener
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let m = Metrics::new(listener.local_addr().unwrap());
        m.distribution("trip.booking.completed", 1.0, &[("saga", "TripBooking")]);
        let mut buf = [0u8; 256];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"trip.booking.completed:1|d|#saga:TripBooking");
    }

    #[test]
    fn nothing_listening_is_harmless_and_does_not_block() {
        // Find a port with nobody on it: bind, note the port, close.
        let port = UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let m = Metrics::new(SocketAddr::from(([127, 0, 0, 1], port)));
        let start = Instant::now();
        for i in 0..1000 {
            m.distribution("saga.step.duration", f64::from(i), &[("step", "S")]);
        }
        // Behaviour, not a benchmark: a blocking or retrying client would
        // take seconds here; a fire-and-forget one returns at once.
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }
}
