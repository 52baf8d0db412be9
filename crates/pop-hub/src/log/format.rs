//! How a log line is spelled: `text` for people, `json` for log shippers;
//! and the two rules for what a client sent, escaped and capped.
//!
//! A text line reads
//! `2026-11-26T23:21:50.603534Z  INFO message key=value id=…`; a JSON line
//! `{"time":"…","level":"INFO","target":"…","message":"…","key":"value","id":"…"}`.
//! Control characters are escaped in both (`\n`, `\u{1b}` in text; JSON's
//! own escapes in JSON), so text a client sent cannot forge a line or drive
//! a terminal; and text a client sent is cut to [`CLIENT_TEXT`] bytes and
//! its length, so it cannot fill a disk either.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How much of a text the client chose (a reference, a path) a log line or
/// an error message repeats; the rest is replaced by its length.
#[cfg_attr(not(feature = "router"), allow(dead_code))]
pub(crate) const CLIENT_TEXT: usize = 256;

/// The two ways a line can be spelled (`--log-format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// `time LEVEL message key=value`, for people.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

impl Format {
    /// The names [`Format::named`] takes.
    pub(crate) const NAMES: &[&str] = &["text", "json"];

    /// The format named `text` or `json`.
    pub(crate) fn named(name: &str) -> Option<Format> {
        match name {
            "text" => Some(Format::Text),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// A line being written: the fields go after the message, as `key=value`
/// or as JSON members.
pub(crate) struct Line<'a> {
    out: &'a mut String,
    format: Format,
}

impl<'a> Line<'a> {
    /// Starts a line with its time, level and target (JSON only: a text line
    /// does not name its target).
    pub(crate) fn start(
        out: &'a mut String,
        format: Format,
        now: SystemTime,
        level: &str,
        target: &str,
    ) -> Line<'a> {
        match format {
            Format::Text => {
                timestamp(out, now);
                // `{level:>5}`, without the formatting machinery.
                out.push(' ');
                for _ in level.len()..5 {
                    out.push(' ');
                }
                out.push_str(level);
                out.push(' ');
            }
            Format::Json => {
                out.push_str("{\"time\":\"");
                timestamp(out, now);
                out.push_str("\",\"level\":\"");
                out.push_str(level);
                out.push_str("\",\"target\":");
                json_string(out, target, usize::MAX);
            }
        }
        Line { out, format }
    }

    /// The message (text: as it is, escaped; JSON: the `message` member),
    /// keeping at most `cap` bytes of it.
    pub(crate) fn message(&mut self, message: &str, cap: usize) {
        match self.format {
            Format::Text => escape_into(self.out, message, cap),
            Format::Json => {
                self.out.push_str(",\"message\":");
                json_string(self.out, message, cap);
            }
        }
    }

    /// Text only: one more word of the message, escaped, at most `cap` bytes.
    #[cfg_attr(not(feature = "router"), allow(dead_code))]
    pub(crate) fn word(&mut self, word: &str, cap: usize) {
        self.out.push(' ');
        escape_into(self.out, word, cap);
    }

    /// A text field, keeping at most `cap` bytes of it.
    pub(crate) fn text(&mut self, key: &str, value: &str, cap: usize) {
        self.key(key);
        match self.format {
            Format::Text => escape_into(self.out, value, cap),
            Format::Json => json_string(self.out, value, cap),
        }
    }

    /// A text field known to need no escaping and no cap (a request id).
    pub(crate) fn plain(&mut self, key: &str, value: &str) {
        self.key(key);
        match self.format {
            Format::Text => self.out.push_str(value),
            Format::Json => {
                self.out.push('"');
                self.out.push_str(value);
                self.out.push('"');
            }
        }
    }

    /// A number field, written as it displays (`-3`, `true`).
    pub(crate) fn number(&mut self, key: &str, value: impl std::fmt::Display) {
        self.key(key);
        let _ = write!(self.out, "{value}");
    }

    /// An unsigned integer field (a status), written by hand: a router
    /// writes one per request.
    #[cfg_attr(not(feature = "router"), allow(dead_code))]
    pub(crate) fn unsigned(&mut self, key: &str, value: u64) {
        self.key(key);
        push_unsigned(self.out, value, 1);
    }

    /// A duration: in text as people read it (`61.2µs`, `3.25ms`, `1.500s`),
    /// in JSON as seconds (`0.000061200`).
    #[cfg_attr(not(feature = "router"), allow(dead_code))]
    pub(crate) fn duration(&mut self, key: &str, value: Duration) {
        self.key(key);
        let nanos = value.subsec_nanos();
        match self.format {
            Format::Json => {
                push_unsigned(self.out, value.as_secs(), 1);
                self.out.push('.');
                push_unsigned(self.out, u64::from(nanos), 9);
            }
            Format::Text => {
                let (whole, fraction, digits, unit) = match value.as_nanos() {
                    n if n < 1_000 => (n as u64, 0, 0, "ns"),
                    n if n < 1_000_000 => ((n / 1_000) as u64, (n % 1_000 / 100) as u64, 1, "µs"),
                    n if n < 1_000_000_000 => (
                        (n / 1_000_000) as u64,
                        (n % 1_000_000 / 10_000) as u64,
                        2,
                        "ms",
                    ),
                    _ => (value.as_secs(), u64::from(nanos / 1_000_000), 3, "s"),
                };
                push_unsigned(self.out, whole, 1);
                if digits > 0 {
                    self.out.push('.');
                    push_unsigned(self.out, fraction, digits);
                }
                self.out.push_str(unit);
            }
        }
    }

    /// A field written as it displays in text, and as a JSON string.
    pub(crate) fn display(&mut self, key: &str, value: impl std::fmt::Display) {
        match self.format {
            Format::Text => {
                self.key(key);
                let start = self.out.len();
                let _ = write!(self.out, "{value}");
                // Escaping is rare: only a value with a control character in it.
                if self.out[start..].chars().any(char::is_control) {
                    let raw = self.out.split_off(start);
                    escape_into(self.out, &raw, usize::MAX);
                }
            }
            Format::Json => {
                let mut raw = String::new();
                let _ = write!(raw, "{value}");
                self.text(key, &raw, usize::MAX);
            }
        }
    }

    fn key(&mut self, key: &str) {
        match self.format {
            Format::Text => {
                self.out.push(' ');
                self.out.push_str(key);
                self.out.push('=');
            }
            Format::Json => {
                self.out.push(',');
                json_string(self.out, key, usize::MAX);
                self.out.push(':');
            }
        }
    }

    /// Ends the line.
    pub(crate) fn finish(self) {
        if self.format == Format::Json {
            self.out.push('}');
        }
        self.out.push('\n');
    }
}

/// `text` cut to at most `cap` bytes (at a character boundary), and where
/// it was cut, so that its length can be told.
fn cut(text: &str, cap: usize) -> (&str, bool) {
    if text.len() <= cap {
        return (text, false);
    }
    let mut end = cap;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], true)
}

/// `text` as an error message may echo it: whole when short, otherwise its
/// first [`CLIENT_TEXT`] bytes and its length.
#[cfg_attr(not(feature = "router"), allow(dead_code))]
pub(crate) fn capped(text: &str) -> std::borrow::Cow<'_, str> {
    capped_to(text, CLIENT_TEXT)
}

/// `text` whole when at most `cap` bytes, otherwise its first `cap` bytes
/// and its length.
#[cfg_attr(not(feature = "router"), allow(dead_code))]
pub(crate) fn capped_to(text: &str, cap: usize) -> std::borrow::Cow<'_, str> {
    match cut(text, cap) {
        (_, false) => text.into(),
        (kept, true) => format!("{kept}…({} bytes)", text.len()).into(),
    }
}

/// Whether `text` may hold a control character: a C0 one, DEL, or (behind
/// the lead byte 0xC2) a C1 one. A quick test on bytes; the slow path
/// looks at characters.
fn may_hold_control(text: &str) -> bool {
    text.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2)
}

/// Appends `text` with its control characters escaped: one event stays one
/// line, and a terminal shows escape sequences instead of obeying them.
/// Beyond `cap` bytes, only its length is written.
pub(crate) fn escape_into(line: &mut String, text: &str, cap: usize) {
    let (kept, was_cut) = cut(text, cap);
    if !may_hold_control(kept) {
        line.push_str(kept);
    } else {
        for c in kept.chars() {
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
    if was_cut {
        let _ = write!(line, "…({} bytes)", text.len());
    }
}

/// Appends `text` as a JSON string; beyond `cap` bytes, only its length.
fn json_string(out: &mut String, text: &str, cap: usize) {
    let (kept, was_cut) = cut(text, cap);
    out.push('"');
    if !may_hold_control(kept) && !kept.contains(['"', '\\']) {
        out.push_str(kept);
        if was_cut {
            let _ = write!(out, "…({} bytes)", text.len());
        }
        out.push('"');
        return;
    }
    let mut plain = 0;
    for (index, c) in kept.char_indices() {
        let escaped = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if c.is_control() => "",
            _ => continue,
        };
        out.push_str(&kept[plain..index]);
        if escaped.is_empty() {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push_str(escaped);
        }
        plain = index + c.len_utf8();
    }
    out.push_str(&kept[plain..]);
    if was_cut {
        let _ = write!(out, "…({} bytes)", text.len());
    }
    out.push('"');
}

/// Appends `value` in decimal, zero-padded to `width` digits at least.
fn push_unsigned(out: &mut String, mut value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    while value > 0 || start == digits.len() {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
    }
    let start = start.min(digits.len().saturating_sub(width));
    for &digit in &digits[start..] {
        out.push(char::from(digit));
    }
}

/// RFC 3339 in UTC with microseconds, e.g. `2026-11-26T23:21:50.603534Z`.
/// Each thread keeps the text up to the second it last wrote: a busy log
/// works out the date once a second, not once a line.
pub(crate) fn timestamp(out: &mut String, now: SystemTime) {
    thread_local! {
        static SECOND: std::cell::RefCell<(u64, String)> =
            const { std::cell::RefCell::new((u64::MAX, String::new())) };
    }
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs();
    let cached = SECOND.with(|second| {
        let Ok(mut second) = second.try_borrow_mut() else {
            return false;
        };
        if second.0 != seconds {
            second.1.clear();
            date_and_time(&mut second.1, seconds);
            second.0 = seconds;
        }
        out.push_str(&second.1);
        true
    });
    if !cached {
        date_and_time(out, seconds);
    }
    push_unsigned(out, u64::from(since.subsec_micros()), 6);
    out.push('Z');
}

/// `2026-11-26T23:21:50.` for a second since the epoch.
fn date_and_time(out: &mut String, seconds: u64) {
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    push_unsigned(out, year.max(0) as u64, 4);
    for (separator, value) in [
        ('-', u64::from(month)),
        ('-', u64::from(day)),
        ('T', rest / 3600),
        (':', rest % 3600 / 60),
        (':', rest % 60),
    ] {
        out.push(separator);
        push_unsigned(out, value, 2);
    }
    out.push('.');
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
        escape_into(
            &mut line,
            "math.fib\n2026-01-01 INFO forged\u{1b}[2J\ttab",
            usize::MAX,
        );
        assert_eq!(line, "math.fib\\n2026-01-01 INFO forged\\u{1b}[2J\\ttab");
        assert!(!line.contains('\n') && !line.contains('\u{1b}'));
    }

    #[test]
    fn client_text_is_capped_with_its_length() {
        let huge = "é".repeat(1000);
        let mut line = String::new();
        escape_into(&mut line, &huge, CLIENT_TEXT);
        assert!(line.len() < CLIENT_TEXT + 20, "{line}");
        assert!(line.ends_with("…(2000 bytes)"), "{line}");
        assert_eq!(capped("short"), "short");
        assert!(capped(&huge).ends_with("…(2000 bytes)"));
        let mut json = String::new();
        json_string(&mut json, &huge, CLIENT_TEXT);
        let back: String = serde_json::from_str(&json).unwrap();
        assert!(back.ends_with("…(2000 bytes)") && back.len() < CLIENT_TEXT + 20);
    }

    #[test]
    fn json_lines_parse_and_keep_every_character() {
        let mut out = String::new();
        let mut line = Line::start(&mut out, Format::Json, UNIX_EPOCH, "INFO", "a::b");
        line.message("say \"hi\"\n\u{1b}[2J", usize::MAX);
        line.text("ref", "math.fib", CLIENT_TEXT);
        line.number("status", 200);
        line.display("ratio", 0.5);
        line.finish();
        assert!(out.ends_with("}\n") && out.matches('\n').count() == 1);
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["time"], "1970-01-01T00:00:00.000000Z");
        assert_eq!(value["level"], "INFO");
        assert_eq!(value["target"], "a::b");
        assert_eq!(value["message"], "say \"hi\"\n\u{1b}[2J");
        assert_eq!(value["ref"], "math.fib");
        assert_eq!(value["status"], 200);
        assert_eq!(value["ratio"], "0.5");
    }

    #[test]
    fn numbers_and_durations_are_written_by_hand() {
        let mut out = String::new();
        push_unsigned(&mut out, 0, 1);
        out.push(' ');
        push_unsigned(&mut out, 7, 3);
        out.push(' ');
        push_unsigned(&mut out, u64::MAX, 1);
        assert_eq!(out, "0 007 18446744073709551615");
        let written = |format, duration| {
            let mut out = String::new();
            let mut line = Line::start(&mut out, format, UNIX_EPOCH, "INFO", "t");
            line.duration("took", duration);
            out.split_once("took")
                .unwrap()
                .1
                .trim_matches(['=', '"', ':'])
                .to_owned()
        };
        assert_eq!(written(Format::Text, Duration::from_nanos(999)), "999ns");
        assert_eq!(
            written(Format::Text, Duration::from_nanos(61_234)),
            "61.2µs"
        );
        assert_eq!(
            written(Format::Text, Duration::from_micros(3_256)),
            "3.25ms"
        );
        assert_eq!(
            written(Format::Text, Duration::from_millis(1_500)),
            "1.500s"
        );
        assert_eq!(
            written(Format::Json, Duration::from_nanos(61_234)),
            "0.000061234"
        );
        assert_eq!(
            written(Format::Json, Duration::from_millis(2_500)),
            "2.500000000"
        );
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
        // The second is kept: the next line in it reuses it.
        let mut out = String::new();
        timestamp(&mut out, UNIX_EPOCH + Duration::from_micros(999_999));
        assert_eq!(out, "1970-01-01T00:00:00.999999Z");
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }
}
