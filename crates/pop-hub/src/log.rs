//! The log that `--log-level` and `--log-file` drive: a small `tracing`
//! subscriber writing one line per event, to stderr or a file.
//!
//! Plugins log with `tracing`'s macros (`pop::tracing::info!`). Lines read
//! `2026-11-26T23:21:50.603534Z  INFO message key=value`. Spans are not
//! kept: a hub's log is one line per event, and a full-featured subscriber
//! would cost every generated project its compile time. Control characters
//! in messages and values are escaped (`\n`, `\u{1b}`), so text a client
//! sent cannot forge a line or drive a terminal.
//!
//! A router logs every request, so lines are not written one `write` at a
//! time: they collect in memory, and a writer thread writes them out every
//! few milliseconds (or at once, when it was idle). What collects is
//! bounded: when the sink cannot keep up (a pipe nobody reads), lines are
//! dropped and counted rather than held, and nothing else ever waits for
//! the sink. [`flush`] asks the writer to write what is left and waits for
//! it a little; the hub calls it when it stops and when start-up fails.

use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Metadata, Subscriber, span};

/// How long a line may wait before the writer thread writes it.
const BATCH: Duration = Duration::from_millis(5);

/// The most log text held for the writer; beyond it, lines are dropped.
const MAX_PENDING: usize = 1024 * 1024;

/// How long [`flush`] waits for the writer before giving up on a stuck sink.
const FLUSH_WAIT: Duration = Duration::from_secs(1);

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

/// The subscriber: events at `max` or more severe, one line each.
struct Logger {
    max: Level,
    output: &'static Output,
}

/// Starts logging at `level` to `file`, or stderr, and sends panic messages
/// to the log too. A second hub in the same process (tests) keeps the first
/// logger.
pub(crate) fn start(level: &str, file: Option<&str>) -> anyhow::Result<()> {
    let max: Level = level.parse().unwrap_or(Level::INFO);
    let mut sink = match file {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|err| anyhow::anyhow!("cannot open the log file {path}: {err}"))?;
            Some(Sink::File(file))
        }
        None => Some(Sink::Stderr),
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
    let sink = sink.take().expect("set above");
    std::thread::Builder::new()
        .name("pop-log".into())
        .spawn(move || write_forever(output, sink))
        .map_err(|err| anyhow::anyhow!("cannot start the log writer: {err}"))?;
    let _ = tracing::subscriber::set_global_default(Logger { max, output });
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
    // The process may be about to end (a panicking `main`, a failed test):
    // the line must be out before it does.
    flush();
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
fn write_forever(output: &'static Output, mut sink: Sink) {
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
            let mut notice = String::new();
            timestamp(&mut notice, SystemTime::now());
            let _ = writeln!(
                notice,
                "  WARN {dropped} log line(s) were dropped: the log could not be written as fast as it grew"
            );
            sink.write(notice.as_bytes());
        }
        sink.write(&lines);
        let mut queue = output.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.flushes_done = queue.flushes_done.max(asked);
        output.written.notify_all();
    }
}

impl Subscriber for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= self.max
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::from_level(self.max))
    }

    fn new_span(&self, _span: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _span: &span::Id, _values: &span::Record<'_>) {}

    fn record_follows_from(&self, _span: &span::Id, _follows: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut line = String::with_capacity(160);
        timestamp(&mut line, SystemTime::now());
        let _ = write!(line, " {:>5} ", event.metadata().level());
        event.record(&mut Fields { line: &mut line });
        line.push('\n');
        let mut queue = self.output.queue.lock().unwrap_or_else(|e| e.into_inner());
        if queue.pending.len() + line.len() > MAX_PENDING {
            queue.dropped += 1;
            return;
        }
        let was_idle = queue.pending.is_empty();
        queue.pending.extend_from_slice(line.as_bytes());
        drop(queue);
        if was_idle {
            self.output.work.notify_one();
        }
    }

    fn enter(&self, _span: &span::Id) {}

    fn exit(&self, _span: &span::Id) {}
}

/// Writes the message, then the other fields as `key=value`, each escaped.
struct Fields<'a> {
    line: &'a mut String,
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() != "message" {
            let _ = write!(self.line, " {}=", field.name());
        }
        escape_into(self.line, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() != "message" {
            let _ = write!(self.line, " {}=", field.name());
        }
        escape_into(self.line, &format!("{value:?}"));
    }
}

/// Appends `text` with its control characters escaped: one event stays one
/// line, and a terminal shows escape sequences instead of obeying them.
fn escape_into(line: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            '\t' => line.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(line, "\\u{{{:x}}}", u32::from(c));
            }
            c => line.push(c),
        }
    }
}

/// RFC 3339 in UTC with microseconds, e.g. `2026-11-26T23:21:50.603534Z`.
fn timestamp(out: &mut String, now: SystemTime) {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs();
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since.subsec_micros()
    );
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn control_characters_are_escaped() {
        let mut line = String::new();
        escape_into(&mut line, "math.fib\n2026-01-01 INFO forged\u{1b}[2J\ttab");
        assert_eq!(line, "math.fib\\n2026-01-01 INFO forged\\u{1b}[2J\\ttab");
        assert!(!line.contains('\n') && !line.contains('\u{1b}'));
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let mut out = String::new();
        timestamp(
            &mut out,
            UNIX_EPOCH + Duration::from_micros(1_795_735_310_603_534),
        );
        assert_eq!(out, "2026-11-26T23:21:50.603534Z");
        let mut out = String::new();
        timestamp(&mut out, UNIX_EPOCH);
        assert_eq!(out, "1970-01-01T00:00:00.000000Z");
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }
}
