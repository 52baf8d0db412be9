//! The log that `--log-level`, `--log-file` and (in router apps)
//! `--log-format` drive: a small `tracing` subscriber writing one line per
//! event, to stderr or a file, as text or as JSON (see [`format`]).
//!
//! Plugins log with `tracing`'s macros (`pop::tracing::info!`). Lines read
//! `2026-11-26T23:21:50.603534Z  INFO message key=value`, or with
//! `--log-format json` one JSON object per line. A line logged while a call
//! serves a request carries the request's id. Spans are not kept: a hub's
//! log is one line per event, and a full-featured subscriber would cost
//! every generated project its compile time. What a client sent is escaped
//! and capped (see [`format`]).
//!
//! A router logs every request, so lines are not written one `write` at a
//! time: they collect in memory, and a writer thread writes them out every
//! few milliseconds (or at once, when it was idle). What collects is
//! bounded: when the sink cannot keep up (a pipe nobody reads), lines are
//! dropped and counted rather than held, and nothing else ever waits for
//! the sink. [`flush`] asks the writer to write what is left and waits for
//! it a little; the hub calls it when it stops and when start-up fails, and
//! the panic hook when a panic is not caught by a call (one that is caught
//! leaves its thread serving, so it does not wait).

mod format;

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Metadata, Subscriber, span};

use format::Line;
#[cfg(feature = "router")]
pub(crate) use format::{CLIENT_TEXT, capped, capped_to};
pub(crate) use format::{Format, escape_into};

/// How long a line may wait before the writer thread writes it.
const BATCH: Duration = Duration::from_millis(5);

/// The most log text held for the writer; beyond it, lines are dropped.
const MAX_PENDING: usize = 1024 * 1024;

/// How long [`flush`] waits for the writer before giving up on a stuck sink.
const FLUSH_WAIT: Duration = Duration::from_secs(1);

/// Lines dropped since the process started (for `/metrics`).
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Where the lines go.
enum Sink {
    Stderr,
    File(std::fs::File),
}

impl Sink {
    fn write(&mut self, bytes: &[u8]) {
        let _ = match self {
            Sink::Stderr => std::io::stderr().lock().write_all(bytes),
            Sink::File(file) => file.write_all(bytes),
        };
    }
}

/// What the writer has to do.
#[derive(Default)]
struct Queue {
    /// Lines not written yet.
    pending: Vec<u8>,
    /// Lines dropped since the last write, because `pending` was full.
    dropped: u64,
    /// Flushes asked for, and flushes done.
    flushes_asked: u64,
    flushes_done: u64,
}

/// The queue, and the writer thread's signals.
struct Output {
    queue: Mutex<Queue>,
    /// Wakes the writer: a line came to an idle queue, or a flush was asked.
    work: Condvar,
    /// Tells flushers the writer caught up.
    written: Condvar,
}

static OUTPUT: OnceLock<Output> = OnceLock::new();

/// What was asked for at start.
static SETTINGS: OnceLock<Settings> = OnceLock::new();

#[derive(Clone, Copy)]
struct Settings {
    max: Level,
    format: Format,
}

/// The subscriber: events at `max` or more severe, one line each.
struct Logger {
    settings: Settings,
    output: &'static Output,
}

/// Starts logging at `level` to `file`, or stderr, as `format` (`text` or
/// `json`) spells lines, and sends panic messages to the log too. A second
/// hub in the same process (tests) keeps the first logger.
pub(crate) fn start(level: &str, file: Option<&str>, format: &str) -> anyhow::Result<()> {
    let max: Level = level.parse().unwrap_or(Level::INFO);
    let format = Format::named(format).unwrap_or(Format::Text);
    let sink = match file {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|err| anyhow::anyhow!("cannot open the log file {path}: {err}"))?;
            Sink::File(file)
        }
        None => Sink::Stderr,
    };
    let mut fresh = false;
    let output = OUTPUT.get_or_init(|| {
        fresh = true;
        Output {
            queue: Mutex::new(Queue::default()),
            work: Condvar::new(),
            written: Condvar::new(),
        }
    });
    if !fresh {
        return Ok(());
    }
    std::thread::Builder::new()
        .name("pop-log".into())
        .spawn(move || write_forever(output, sink, format))
        .map_err(|err| anyhow::anyhow!("cannot start the log writer: {err}"))?;
    let settings = Settings { max, format };
    let _ = SETTINGS.set(settings);
    let _ = tracing::subscriber::set_global_default(Logger { settings, output });
    std::panic::set_hook(Box::new(log_panic));
    Ok(())
}

/// A panic, as one log line: where it happened (relative to its crate, not
/// this machine's paths) and its message.
fn log_panic(info: &std::panic::PanicHookInfo<'_>) {
    let message = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    let location = info.location().map(|at| {
        let file = at.file();
        // `/…/poppy/runtime/pop-hub/src/call.rs` → `pop-hub/src/call.rs`.
        let short = match file.rfind("/src/") {
            Some(src) if file.starts_with('/') => {
                let crate_dir = file[..src].rfind('/').map_or(0, |i| i + 1);
                &file[crate_dir..]
            }
            _ => file,
        };
        format!("{short}:{}", at.line())
    });
    let thread = std::thread::current();
    let thread = thread.name().unwrap_or("unnamed");
    tracing::error!(
        "thread '{thread}' panicked at {}: {message}",
        location.as_deref().unwrap_or("an unknown place")
    );
    // Outside a call, the process may be about to end (a panicking `main`,
    // a failed test): the line must be out before it does. Inside one the
    // panic is caught and the thread goes on serving: it must not wait for
    // a sink that may be stuck (a full pipe nobody reads).
    if CATCHING.get() == 0 {
        flush();
    }
}

thread_local! {
    /// How many calls that catch panics this thread is inside.
    static CATCHING: Cell<u32> = const { Cell::new(0) };
}

/// Runs `f`, which catches any panic in it: the panic hook logs such a
/// panic without waiting for the log to be written.
pub(crate) fn catching<T>(f: impl FnOnce() -> T) -> T {
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            CATCHING.set(CATCHING.get().saturating_sub(1));
        }
    }
    CATCHING.set(CATCHING.get() + 1);
    let _leave = Leave;
    f()
}

/// Log lines dropped since the process started, because the sink could not
/// keep up.
#[cfg(feature = "router")]
pub(crate) fn dropped_lines() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// One request a router answered, as its log line tells it.
#[cfg(feature = "router")]
pub(crate) struct Request<'a> {
    /// Its id: a [`crate::RequestId`]'s text, sane, so written as it is.
    pub(crate) id: &'a str,
    /// Its method, as sent.
    pub(crate) method: &'a str,
    /// Its path, as sent (capped).
    pub(crate) path: &'a str,
    /// The reference it called, as sent (capped), if it named one.
    pub(crate) reference: Option<&'a str>,
    /// The status it was answered with.
    pub(crate) status: u16,
    /// How long it took to answer.
    pub(crate) duration: Duration,
}

/// Logs a request a router answered (at `info`), in the log's format.
#[cfg(feature = "router")]
pub(crate) fn request(request: &Request<'_>) {
    let (Some(settings), Some(output)) = (SETTINGS.get(), OUTPUT.get()) else {
        return;
    };
    if settings.max < Level::INFO {
        return;
    }
    with_buffer(|buffer| {
        let mut line = Line::start(
            buffer,
            settings.format,
            SystemTime::now(),
            "INFO",
            "pop::router",
        );
        match settings.format {
            Format::Text => {
                line.message(request.method, CLIENT_TEXT);
                line.word(request.path, CLIENT_TEXT);
            }
            Format::Json => {
                line.message("request", usize::MAX);
                line.text("method", request.method, CLIENT_TEXT);
                line.text("path", request.path, CLIENT_TEXT);
            }
        }
        line.text("ref", request.reference.unwrap_or("-"), CLIENT_TEXT);
        line.unsigned("status", request.status.into());
        match settings.format {
            Format::Text => line.duration("time", request.duration),
            Format::Json => line.duration("duration", request.duration),
        }
        // Ids are checked when they are taken: letters, digits and a few signs.
        line.plain("id", request.id);
        line.finish();
        output.push(buffer);
    });
}

/// Runs `f` with this thread's line buffer, emptied.
fn with_buffer(f: impl FnOnce(&mut String)) {
    thread_local! {
        static BUFFER: RefCell<String> = RefCell::new(String::with_capacity(256));
    }
    BUFFER.with(|buffer| match buffer.try_borrow_mut() {
        Ok(mut buffer) => {
            buffer.clear();
            f(&mut buffer);
        }
        // A line logged while this thread writes one (a `Debug` impl that logs).
        Err(_) => f(&mut String::new()),
    });
}

/// Asks the writer to write every line logged so far, and waits for it a
/// little: a sink nobody reads must not keep the process from ending.
pub(crate) fn flush() {
    let Some(output) = OUTPUT.get() else {
        return;
    };
    let mut queue = output.queue.lock().unwrap_or_else(|e| e.into_inner());
    if queue.pending.is_empty() && queue.dropped == 0 {
        return;
    }
    queue.flushes_asked += 1;
    let asked = queue.flushes_asked;
    output.work.notify_one();
    let _ = output
        .written
        .wait_timeout_while(queue, FLUSH_WAIT, |queue| queue.flushes_done < asked);
}

/// The writer thread: sleeps while there is nothing to write, otherwise
/// writes what collected in the last few milliseconds (at once for a flush).
/// The line that says `dropped` lines were lost: a line like any other, in
/// the log's format.
fn dropped_notice(format: Format, dropped: u64, now: SystemTime) -> String {
    let mut notice = String::new();
    let mut line = Line::start(&mut notice, format, now, "WARN", "pop::log");
    line.message(
        &format!(
            "{dropped} log line(s) were dropped: the log could not be written as fast as it grew"
        ),
        usize::MAX,
    );
    line.finish();
    notice
}

fn write_forever(output: &'static Output, mut sink: Sink, format: Format) {
    loop {
        let mut queue = output.queue.lock().unwrap_or_else(|e| e.into_inner());
        while queue.pending.is_empty()
            && queue.dropped == 0
            && queue.flushes_asked == queue.flushes_done
        {
            queue = output.work.wait(queue).unwrap_or_else(|e| e.into_inner());
        }
        if queue.flushes_asked == queue.flushes_done {
            drop(queue);
            std::thread::sleep(BATCH);
            queue = output.queue.lock().unwrap_or_else(|e| e.into_inner());
        }
        let lines = std::mem::take(&mut queue.pending);
        let dropped = std::mem::take(&mut queue.dropped);
        let asked = queue.flushes_asked;
        drop(queue);
        if dropped > 0 {
            sink.write(dropped_notice(format, dropped, SystemTime::now()).as_bytes());
        }
        sink.write(&lines);
        let mut queue = output.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.flushes_done = queue.flushes_done.max(asked);
        output.written.notify_all();
    }
}

impl Subscriber for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= self.settings.max
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::from_level(self.settings.max))
    }

    fn new_span(&self, _span: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _span: &span::Id, _values: &span::Record<'_>) {}

    fn record_follows_from(&self, _span: &span::Id, _follows: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let metadata = event.metadata();
        with_buffer(|buffer| {
            let mut line = Line::start(
                buffer,
                self.settings.format,
                SystemTime::now(),
                metadata.level().as_str(),
                metadata.target(),
            );
            event.record(&mut Fields { line: &mut line });
            crate::context::with_current(|id| {
                if let Some(id) = id {
                    line.plain("id", id.as_str());
                }
            });
            line.finish();
            self.output.push(buffer);
        });
    }

    fn enter(&self, _span: &span::Id) {}

    fn exit(&self, _span: &span::Id) {}
}

impl Output {
    /// Queues a line for the writer, or drops and counts it when the queue
    /// is full: nothing that logs ever waits for the sink.
    fn push(&self, line: &str) {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        if queue.pending.len() + line.len() > MAX_PENDING {
            queue.dropped += 1;
            DROPPED.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let was_idle = queue.pending.is_empty();
        queue.pending.extend_from_slice(line.as_bytes());
        drop(queue);
        if was_idle {
            self.work.notify_one();
        }
    }
}

/// Writes the message and the other fields of an event, each escaped.
struct Fields<'l, 'a> {
    line: &'l mut Line<'a>,
}

impl Visit for Fields<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.line.message(value, usize::MAX),
            name => self.line.text(name, value, usize::MAX),
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.line.number(field.name(), value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.line.number(field.name(), value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.line.number(field.name(), value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match field.name() {
            "message" => self.line.message(&format!("{value:?}"), usize::MAX),
            name => self.line.display(name, format_args!("{value:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dropped_lines_notice_is_in_the_logs_format() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(86_400);
        let text = dropped_notice(Format::Text, 3, now);
        assert!(
            text.starts_with("1970-01-02T00:00:00") && text.contains("  WARN 3 log line(s)"),
            "{text}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&dropped_notice(Format::Json, 3, now)).expect("one JSON object");
        assert_eq!(json["level"], "WARN");
        assert_eq!(json["target"], "pop::log");
        assert!(
            json["message"]
                .as_str()
                .is_some_and(|message| message.starts_with("3 log line(s) were dropped")),
            "{json}"
        );
    }
}
