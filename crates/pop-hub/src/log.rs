//! The log that `--log-level` and `--log-file` drive: a small `tracing`
//! subscriber writing one line per event, to stderr or a file.
//!
//! Plugins log with `tracing`'s macros (`pop::tracing::info!`). Lines read
//! `2026-11-26T23:21:50.603534Z  INFO message key=value`. Spans are not
//! kept: a hub's log is one line per event, and a full-featured subscriber
//! would cost every generated project its compile time.
//!
//! A router logs every request, so lines are not written one `write` at a
//! time: they collect in memory, and a writer thread writes them out every
//! few milliseconds (or at once, when it was idle). [`flush`] writes what
//! is left; the hub calls it when it stops and when start-up fails.

use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::sync::{Mutex, OnceLock};
use std::thread::Thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Metadata, Subscriber, span};

/// How long a line may wait before the writer thread writes it.
const BATCH: Duration = Duration::from_millis(5);

/// Where the lines go.
enum Sink {
    Stderr,
    File(std::fs::File),
}

/// Lines not written yet, and where they go.
struct Output {
    pending: Mutex<Vec<u8>>,
    sink: Mutex<Sink>,
    writer: OnceLock<Thread>,
}

static OUTPUT: OnceLock<Output> = OnceLock::new();

/// The subscriber: events at `max` or more severe, one line each.
struct Logger {
    max: Level,
    output: &'static Output,
}

/// Starts logging at `level` to `file`, or stderr. A second hub in the same
/// process (tests) keeps the first logger.
pub(crate) fn start(level: &str, file: Option<&str>) -> anyhow::Result<()> {
    let max: Level = level.parse().unwrap_or(Level::INFO);
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
            pending: Mutex::new(Vec::new()),
            sink: Mutex::new(sink),
            writer: OnceLock::new(),
        }
    });
    if !fresh {
        return Ok(());
    }
    let writer = std::thread::Builder::new()
        .name("pop-log".into())
        .spawn(|| write_forever(OUTPUT.get().expect("set before the thread starts")))
        .map_err(|err| anyhow::anyhow!("cannot start the log writer: {err}"))?;
    let _ = output.writer.set(writer.thread().clone());
    let _ = tracing::subscriber::set_global_default(Logger { max, output });
    Ok(())
}

/// Writes every line logged so far. Cheap when there are none.
pub(crate) fn flush() {
    if let Some(output) = OUTPUT.get() {
        output.write_pending();
    }
}

impl Output {
    fn write_pending(&self) {
        let lines = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        if lines.is_empty() {
            return;
        }
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        let _ = match &mut *sink {
            Sink::Stderr => std::io::stderr().lock().write_all(&lines),
            Sink::File(file) => file.write_all(&lines),
        };
    }
}

/// The writer thread: sleeps while there is nothing to write, otherwise
/// writes what collected in the last few milliseconds.
fn write_forever(output: &'static Output) {
    loop {
        let idle = output
            .pending
            .lock()
            .map(|lines| lines.is_empty())
            .unwrap_or(false);
        if idle {
            std::thread::park();
        } else {
            std::thread::sleep(BATCH);
            output.write_pending();
        }
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
        let was_idle = {
            let mut pending = self
                .output
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let was_idle = pending.is_empty();
            pending.extend_from_slice(line.as_bytes());
            was_idle
        };
        if was_idle {
            if let Some(writer) = self.output.writer.get() {
                writer.unpark();
            }
        }
    }

    fn enter(&self, _span: &span::Id) {}

    fn exit(&self, _span: &span::Id) {}
}

/// Writes the message, then the other fields as `key=value`.
struct Fields<'a> {
    line: &'a mut String,
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.line.push_str(value),
            name => {
                let _ = write!(self.line, " {name}={value}");
            }
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let _ = match field.name() {
            "message" => write!(self.line, "{value:?}"),
            name => write!(self.line, " {name}={value:?}"),
        };
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
