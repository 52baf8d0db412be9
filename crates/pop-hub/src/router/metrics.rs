//! `GET /metrics`: what the router has done, in Prometheus' text exposition
//! format 0.0.4.
//!
//! Counting is cheap enough to stay on: every server thread counts in a
//! shard of its own (plain relaxed atomics that no other thread writes, so
//! no lock and no contended cache line per request), and every label set is
//! fixed when the router starts, since its references are known then. A
//! scrape adds the shards up. A request is counted under its `ref` label:
//! the function it called, or, when it reached none, its route (`/` for a
//! bare request or a body that named no function of the sub, `/healthz`,
//! `/metrics`, `/openapi.json`, `other` for any other path); references
//! never start with `/`, so the two cannot be confused, and what a client
//! sends never becomes a label.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How a request ended: `ok`, or the error kind of its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    Ok,
    BadRequest,
    BadArguments,
    UnknownRef,
    ContractRefused,
    PluginError,
    Panic,
    PayloadTooLarge,
    RequestTimeout,
    Busy,
    NotFound,
    MethodNotAllowed,
}

impl Outcome {
    const ALL: [Outcome; 12] = [
        Outcome::Ok,
        Outcome::BadRequest,
        Outcome::BadArguments,
        Outcome::UnknownRef,
        Outcome::ContractRefused,
        Outcome::PluginError,
        Outcome::Panic,
        Outcome::PayloadTooLarge,
        Outcome::RequestTimeout,
        Outcome::Busy,
        Outcome::NotFound,
        Outcome::MethodNotAllowed,
    ];

    /// Its label value, and the `kind` of an error answer (a call's error
    /// keeps the name [`crate::CallError::kind`] gives it).
    pub(super) fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::BadRequest => "bad_request",
            Outcome::BadArguments => "bad_arguments",
            Outcome::UnknownRef => "unknown_ref",
            Outcome::ContractRefused => "contract_refused",
            Outcome::PluginError => "plugin_error",
            Outcome::Panic => "panic",
            Outcome::PayloadTooLarge => "payload_too_large",
            Outcome::RequestTimeout => "request_timeout",
            Outcome::Busy => "busy",
            Outcome::NotFound => "not_found",
            Outcome::MethodNotAllowed => "method_not_allowed",
        }
    }

    /// Whether requests under a label of this class can end this way (the
    /// series shown at 0 before they happen).
    fn possible(self, class: Class) -> bool {
        use Outcome::*;
        match class {
            Class::Function => matches!(
                self,
                Ok | BadArguments | ContractRefused | PluginError | Panic
            ),
            Class::Call => matches!(
                self,
                Ok | BadRequest
                    | UnknownRef
                    | PayloadTooLarge
                    | RequestTimeout
                    | Busy
                    | MethodNotAllowed
            ),
            Class::Fixed => matches!(self, Ok | MethodNotAllowed),
            Class::Other => matches!(self, NotFound),
        }
    }
}

/// What a `ref` label stands for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// A function of the sub.
    Function,
    /// `/`, when no function was reached.
    Call,
    /// `/healthz`, `/metrics`, `/openapi.json`.
    Fixed,
    /// Any other path.
    Other,
}

/// Where a request is counted: the index of its `ref` label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Target(usize);

/// The upper bounds of the latency histogram's buckets, in microseconds
/// (100 µs to 10 s; `+Inf` beyond).
const BOUNDS_MICROS: [u64; 16] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 2_500_000, 5_000_000, 10_000_000,
];

/// Counters of one label: one per outcome, then the histogram's buckets
/// (not cumulative), then the sum of durations in nanoseconds.
const OUTCOMES: usize = Outcome::ALL.len();
const BUCKETS: usize = BOUNDS_MICROS.len() + 1;
const STRIDE: usize = OUTCOMES + BUCKETS + 1;

/// The router's metrics: its label sets, and one shard per server thread.
pub(super) struct Metrics {
    labels: Vec<(Box<str>, Class)>,
    shards: Vec<Arc<Shard>>,
    started: SystemTime,
}

/// One server thread's counters. Aligned so that two shards never share a
/// cache line.
#[repr(align(128))]
pub(super) struct Shard {
    counters: Box<[AtomicU64]>,
    in_flight: AtomicI64,
    connections: AtomicI64,
    ids: AtomicU64,
    index: usize,
}

impl Metrics {
    /// Metrics for a router of these function references (relative to its
    /// sub), with `shards` server threads.
    pub(super) fn new<'a>(references: impl IntoIterator<Item = &'a str>, shards: usize) -> Metrics {
        let mut labels: Vec<(Box<str>, Class)> = references
            .into_iter()
            .map(|reference| (reference.into(), Class::Function))
            .collect();
        labels.sort_by(|a, b| a.0.cmp(&b.0));
        labels.extend([
            ("/".into(), Class::Call),
            ("/healthz".into(), Class::Fixed),
            ("/metrics".into(), Class::Fixed),
            ("/openapi.json".into(), Class::Fixed),
            ("other".into(), Class::Other),
        ]);
        let shards = (0..shards.max(1))
            .map(|index| {
                Arc::new(Shard {
                    index,
                    counters: (0..labels.len() * STRIDE)
                        .map(|_| AtomicU64::new(0))
                        .collect(),
                    in_flight: AtomicI64::new(0),
                    connections: AtomicI64::new(0),
                    ids: AtomicU64::new(0),
                })
            })
            .collect();
        Metrics {
            labels,
            shards,
            started: SystemTime::now(),
        }
    }

    /// The shard of server thread `index`.
    pub(super) fn shard(&self, index: usize) -> Arc<Shard> {
        self.shards[index % self.shards.len()].clone()
    }

    /// Where calls of `reference` are counted, if it is one of the sub's.
    pub(super) fn function(&self, reference: &str) -> Option<Target> {
        self.labels
            .iter()
            .position(|(label, class)| *class == Class::Function && **label == *reference)
            .map(Target)
    }

    /// Where requests to `route` (`/`, `/healthz`, …, `other`) are counted.
    pub(super) fn route(&self, route: &str) -> Target {
        let found = self
            .labels
            .iter()
            .rposition(|(label, class)| *class != Class::Function && **label == *route);
        Target(found.unwrap_or(self.labels.len() - 1))
    }

    /// The exposition text of every metric, added up over the shards.
    pub(super) fn render(&self, dropped_log_lines: u64) -> String {
        let total = |index: usize| -> u64 {
            self.shards
                .iter()
                .map(|shard| shard.counters[index].load(Relaxed))
                .sum()
        };
        let mut out = String::with_capacity(4096 + self.labels.len() * 2048);
        header(
            &mut out,
            "pop_router_requests_total",
            "counter",
            "Requests answered, by the function called (or the route, when none was) and outcome (ok, or the error kind).",
        );
        for (index, (label, class)) in self.labels.iter().enumerate() {
            for (slot, outcome) in Outcome::ALL.into_iter().enumerate() {
                let count = total(index * STRIDE + slot);
                if count > 0 || outcome.possible(*class) {
                    let _ = writeln!(
                        out,
                        "pop_router_requests_total{{ref=\"{}\",outcome=\"{}\"}} {count}",
                        escape(label),
                        outcome.name()
                    );
                }
            }
        }
        header(
            &mut out,
            "pop_router_request_duration_seconds",
            "histogram",
            "How long calls took to answer, by function, from the request's headers to its answer.",
        );
        for (index, (label, class)) in self.labels.iter().enumerate() {
            if *class != Class::Function {
                continue;
            }
            let base = index * STRIDE + OUTCOMES;
            let mut cumulative = 0;
            for (bucket, bound) in BOUNDS_MICROS.iter().enumerate() {
                cumulative += total(base + bucket);
                let _ = writeln!(
                    out,
                    "pop_router_request_duration_seconds_bucket{{ref=\"{}\",le=\"{}\"}} {cumulative}",
                    escape(label),
                    *bound as f64 / 1e6
                );
            }
            cumulative += total(base + BUCKETS - 1);
            let sum = total(base + BUCKETS) as f64 / 1e9;
            let label = escape(label);
            let _ = writeln!(
                out,
                "pop_router_request_duration_seconds_bucket{{ref=\"{label}\",le=\"+Inf\"}} {cumulative}"
            );
            let _ = writeln!(
                out,
                "pop_router_request_duration_seconds_sum{{ref=\"{label}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "pop_router_request_duration_seconds_count{{ref=\"{label}\"}} {cumulative}"
            );
        }
        header(
            &mut out,
            "pop_router_contract_refusals_total",
            "counter",
            "Calls a `pre` contract refused, by function.",
        );
        for (index, (label, class)) in self.labels.iter().enumerate() {
            if *class == Class::Function {
                let count = total(index * STRIDE + Outcome::ContractRefused as usize);
                let _ = writeln!(
                    out,
                    "pop_router_contract_refusals_total{{ref=\"{}\"}} {count}",
                    escape(label)
                );
            }
        }
        header(
            &mut out,
            "pop_router_rejected_bodies_total",
            "counter",
            "Request bodies given up on: over 1 MiB (413), stalled or too slow (408), no memory free for them (503).",
        );
        for (outcome, status) in [
            (Outcome::PayloadTooLarge, 413),
            (Outcome::RequestTimeout, 408),
            (Outcome::Busy, 503),
        ] {
            let count: u64 = (0..self.labels.len())
                .map(|index| total(index * STRIDE + outcome as usize))
                .sum();
            let _ = writeln!(
                out,
                "pop_router_rejected_bodies_total{{reason=\"{}\",status=\"{status}\"}} {count}",
                outcome.name()
            );
        }
        let gauge = |read: fn(&Shard) -> i64| -> i64 { self.shards.iter().map(|s| read(s)).sum() };
        header(
            &mut out,
            "pop_router_requests_in_flight",
            "gauge",
            "Requests being answered now.",
        );
        let _ = writeln!(
            out,
            "pop_router_requests_in_flight {}",
            gauge(|shard| shard.in_flight.load(Relaxed))
        );
        header(
            &mut out,
            "pop_router_open_connections",
            "gauge",
            "Client connections open now.",
        );
        let _ = writeln!(
            out,
            "pop_router_open_connections {}",
            gauge(|shard| shard.connections.load(Relaxed))
        );
        header(
            &mut out,
            "pop_log_dropped_lines_total",
            "counter",
            "Log lines dropped because the log could not be written as fast as it grew.",
        );
        let _ = writeln!(out, "pop_log_dropped_lines_total {dropped_log_lines}");
        process(&mut out, self.started);
        out
    }
}

impl Shard {
    /// Counts a request under `target` that ended as `outcome` after `took`.
    pub(super) fn record(&self, target: Target, outcome: Outcome, took: Duration) {
        let base = target.0 * STRIDE;
        bump(&self.counters[base + outcome as usize], 1);
        let micros = took.as_micros().min(u128::from(u64::MAX)) as u64;
        let bucket = BOUNDS_MICROS.partition_point(|&bound| bound < micros);
        bump(&self.counters[base + OUTCOMES + bucket], 1);
        let nanos = took.as_nanos().min(u128::from(u64::MAX)) as u64;
        bump(&self.counters[base + OUTCOMES + BUCKETS], nanos);
    }

    /// A request starts (until the guard is dropped, however it ends).
    pub(super) fn in_flight(&self) -> Gauged<'_> {
        self.in_flight.fetch_add(1, Relaxed);
        Gauged(&self.in_flight)
    }

    /// A connection opens (until the guard is dropped).
    pub(super) fn connection(self: &Arc<Self>) -> OpenConnection {
        self.connections.fetch_add(1, Relaxed);
        OpenConnection(self.clone())
    }

    /// Which server thread counts here, and the next number of its
    /// request ids.
    pub(super) fn next_id(&self) -> (usize, u64) {
        let next = self.ids.load(Relaxed) + 1;
        self.ids.store(next, Relaxed);
        (self.index, next)
    }
}

/// Adds to a counter only its own thread writes: a load and a store, no
/// locked instruction.
fn bump(counter: &AtomicU64, by: u64) {
    counter.store(counter.load(Relaxed).wrapping_add(by), Relaxed);
}

/// Holds a gauge up by one until dropped.
pub(super) struct Gauged<'a>(&'a AtomicI64);

impl Drop for Gauged<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

/// Holds the open connections gauge up by one until dropped.
pub(super) struct OpenConnection(Arc<Shard>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Relaxed);
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A label value as the exposition format spells it.
fn escape(value: &str) -> std::borrow::Cow<'_, str> {
    if !value.contains(['\\', '"', '\n']) {
        return value.into();
    }
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
        .into()
}

/// The process basics: start time and uptime everywhere; CPU time,
/// resident memory and open file descriptors where `/proc` tells them.
fn process(out: &mut String, started: SystemTime) {
    let since_epoch = started
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    header(
        out,
        "process_start_time_seconds",
        "gauge",
        "When the router started, in seconds since the Unix epoch.",
    );
    let _ = writeln!(out, "process_start_time_seconds {since_epoch}");
    header(
        out,
        "pop_uptime_seconds",
        "gauge",
        "How long the router has served.",
    );
    let uptime = started.elapsed().unwrap_or_default().as_secs_f64();
    let _ = writeln!(out, "pop_uptime_seconds {uptime}");
    if let Some((cpu, resident)) = proc_stat() {
        header(
            out,
            "process_cpu_seconds_total",
            "counter",
            "CPU time the process has used, user and system.",
        );
        let _ = writeln!(out, "process_cpu_seconds_total {cpu}");
        header(
            out,
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory of the process.",
        );
        let _ = writeln!(out, "process_resident_memory_bytes {resident}");
    }
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        header(
            out,
            "process_open_fds",
            "gauge",
            "File descriptors the process has open.",
        );
        // Less the one this count reads through.
        let _ = writeln!(
            out,
            "process_open_fds {}",
            entries.count().saturating_sub(1)
        );
    }
}

/// CPU seconds and resident bytes from `/proc/self/stat` (Linux).
fn proc_stat() -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |index: usize| fields.get(index)?.parse::<f64>().ok();
    // utime and stime are fields 14 and 15 of stat, rss is field 24 (in pages);
    // counted from the state (field 3) at index 0.
    let cpu = (ticks(11)? + ticks(12)?) / 100.0;
    let pages: u64 = fields.get(21)?.parse().ok()?;
    Some((cpu, pages * 4096))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_over_shards_and_render_as_exposition_text() {
        let metrics = Metrics::new(["math.fib", "math.triple"], 2);
        let fib = metrics.function("math.fib").unwrap();
        let (one, two) = (metrics.shard(0), metrics.shard(1));
        one.record(fib, Outcome::Ok, Duration::from_micros(80));
        two.record(fib, Outcome::Ok, Duration::from_millis(3));
        two.record(fib, Outcome::Panic, Duration::from_millis(3));
        one.record(metrics.route("/"), Outcome::PayloadTooLarge, Duration::ZERO);
        let _flying = one.in_flight();
        let text = metrics.render(7);
        for line in [
            r#"pop_router_requests_total{ref="math.fib",outcome="ok"} 2"#,
            r#"pop_router_requests_total{ref="math.fib",outcome="panic"} 1"#,
            r#"pop_router_requests_total{ref="math.triple",outcome="ok"} 0"#,
            r#"pop_router_requests_total{ref="/",outcome="payload_too_large"} 1"#,
            r#"pop_router_request_duration_seconds_bucket{ref="math.fib",le="0.0001"} 1"#,
            r#"pop_router_request_duration_seconds_bucket{ref="math.fib",le="0.0025"} 1"#,
            r#"pop_router_request_duration_seconds_bucket{ref="math.fib",le="0.005"} 3"#,
            r#"pop_router_request_duration_seconds_bucket{ref="math.fib",le="+Inf"} 3"#,
            r#"pop_router_request_duration_seconds_count{ref="math.fib"} 3"#,
            r#"pop_router_rejected_bodies_total{reason="payload_too_large",status="413"} 1"#,
            "pop_router_requests_in_flight 1",
            "pop_log_dropped_lines_total 7",
            "# TYPE pop_router_request_duration_seconds histogram",
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
        }
        assert!(text.contains("pop_router_request_duration_seconds_sum{ref=\"math.fib\"} 0.00608"));
        assert!(!text.contains(r#"ref="/healthz",outcome="not_found""#));
    }
}
