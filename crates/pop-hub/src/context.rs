//! The call context: what a call knows of the request it serves, today its
//! request id.
//!
//! A router gives every request an id (the client's `X-Request-Id` when it
//! sent a sane one, a fresh one otherwise) and runs the request's call
//! inside it: plugins read it with [`request_id`], contracts with
//! [`crate::Ctx::request_id`], and the log writes it in every line logged
//! while the call runs. Calls by reference made inside the call run inside
//! it too, so they carry the same id.
//!
//! The id lives in a thread-local that a scoped future sets around each of
//! its polls (and a scoped plain call around its run): nothing is passed
//! through plugin signatures, and a call outside any request sees none. A
//! task a plugin spawns does not inherit it; [`RequestId::scope`] carries it
//! there.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// The id of one request, e.g. `9f2c4e1a7b3d5f60-1a` or what the client sent.
///
/// Cheap to clone. Its text is at most [`RequestId::MAX_LEN`] bytes of
/// letters, digits and `-_.:+/=@~`, so it is safe to log and to send on.
#[derive(Clone)]
pub struct RequestId(Repr);

/// Short ids (every id a router makes) are kept inline: making one and
/// cloning it allocate nothing.
#[derive(Clone)]
enum Repr {
    Inline { length: u8, text: [u8; INLINE] },
    Shared(Arc<str>),
}

/// The longest id kept inline.
const INLINE: usize = 54;

impl PartialEq for RequestId {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RequestId {}

impl std::hash::Hash for RequestId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl RequestId {
    /// The longest id accepted from a client, in bytes.
    pub const MAX_LEN: usize = 128;

    /// `text` as a request id, if it is a sane one: 1 to [`Self::MAX_LEN`]
    /// bytes of ASCII letters, digits and `-_.:+/=@~`.
    pub fn parse(text: &[u8]) -> Option<RequestId> {
        let sane = !text.is_empty()
            && text.len() <= Self::MAX_LEN
            && text.iter().all(|&byte| is_id_byte(byte));
        // Every byte is ASCII, so the text is UTF-8.
        sane.then(|| std::str::from_utf8(text).ok().map(RequestId::made))
            .flatten()
    }

    /// An id from text known to be sane.
    pub(crate) fn made(text: &str) -> RequestId {
        match text.len() <= INLINE {
            true => {
                let mut inline = [0; INLINE];
                inline[..text.len()].copy_from_slice(text.as_bytes());
                RequestId(Repr::Inline {
                    length: text.len() as u8,
                    text: inline,
                })
            }
            false => RequestId(Repr::Shared(text.into())),
        }
    }

    /// An id from bytes known to be sane (ASCII), short enough to be kept
    /// inline; its text is checked when it is read.
    #[cfg(feature = "router")]
    pub(crate) fn made_ascii(text: &[u8]) -> RequestId {
        let mut inline = [0; INLINE];
        let length = text.len().min(INLINE);
        inline[..length].copy_from_slice(&text[..length]);
        RequestId(Repr::Inline {
            length: length as u8,
            text: inline,
        })
    }

    /// Its text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Only ever set from a `&str`, cut at its end.
            Repr::Inline { length, text } => {
                std::str::from_utf8(&text[..usize::from(*length)]).unwrap_or_default()
            }
            Repr::Shared(text) => text,
        }
    }

    /// Runs `future` inside this request: [`request_id`] answers this id
    /// while it runs (for a task a plugin spawns, which would otherwise
    /// see none).
    pub fn scope<F: Future>(self, future: F) -> Scoped<F> {
        Scoped {
            id: Some(self),
            future,
        }
    }

    /// Runs `f` inside this request, on this thread.
    pub fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        let outer = CURRENT.replace(Some(self.clone()));
        let _restore = Restore(outer);
        f()
    }
}

/// The bytes an id may hold.
fn is_id_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-_.:+/=@~".contains(&byte)
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl AsRef<str> for RequestId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

thread_local! {
    /// The request the code running on this thread serves.
    static CURRENT: Cell<Option<RequestId>> = const { Cell::new(None) };
}

/// The id of the request the running call serves, if it serves one (a call
/// through a router, or one made inside such a call).
///
/// ```
/// # extern crate pop_hub as pop;
/// # pop::no_sites!();
/// use pop::prelude::*;
///
/// /// Which request am I serving?
/// #[plugin]
/// pub fn whoami(_hub: &Hub) -> Option<String> {
///     pop::request_id().map(|id| id.to_string())
/// }
///
/// # fn main() {
/// let id = pop::RequestId::parse(b"req-7").expect("a sane id");
/// assert_eq!(id.run(|| whoami(&Hub::default())).as_deref(), Some("req-7"));
/// assert_eq!(whoami(&Hub::default()), None);
/// # }
/// ```
pub fn request_id() -> Option<RequestId> {
    with_current(|id| id.cloned())
}

/// Runs `f` with the current request id, without cloning it (the log).
pub(crate) fn with_current<T>(f: impl FnOnce(Option<&RequestId>) -> T) -> T {
    CURRENT.with(|current| {
        let id = current.take();
        let result = f(id.as_ref());
        current.set(id);
        result
    })
}

/// Puts the outer id back when a scope ends, panic or not.
struct Restore(Option<RequestId>);

impl Drop for Restore {
    fn drop(&mut self) {
        CURRENT.set(self.0.take());
    }
}

pin_project_lite::pin_project! {
    /// A future that runs inside a request (see [`RequestId::scope`]).
    #[must_use = "a future does nothing until it is awaited"]
    pub struct Scoped<F> {
        id: Option<RequestId>,
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let restore = Restore(CURRENT.replace(this.id.take()));
        let polled = this.future.poll(cx);
        *this.id = CURRENT.replace(None);
        drop(restore);
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_taken_and_others_refused() {
        assert_eq!(
            RequestId::parse(b"3f1c-9a:req/7=").map(|id| id.to_string()),
            Some("3f1c-9a:req/7=".to_owned())
        );
        assert!(RequestId::parse(b"").is_none());
        assert!(RequestId::parse(b"a b").is_none());
        assert!(RequestId::parse(b"line\nbreak").is_none());
        assert!(RequestId::parse("é".as_bytes()).is_none());
        let long = RequestId::parse(&[b'a'; RequestId::MAX_LEN]).unwrap();
        assert_eq!(long.as_str().len(), RequestId::MAX_LEN);
        assert_eq!(long.clone(), long);
        assert_eq!(RequestId::made("abc").as_str(), "abc");
        assert!(RequestId::parse(&[b'a'; RequestId::MAX_LEN + 1]).is_none());
    }

    #[test]
    fn a_scope_sets_the_id_for_its_polls_only() {
        let id = RequestId::made("outer");
        assert_eq!(request_id(), None);
        let seen = crate::block_on(id.clone().scope(async {
            let first = request_id();
            tokio::task::yield_now().await;
            let nested = RequestId::made("inner").run(request_id);
            (first, request_id(), nested)
        }));
        assert_eq!(
            seen,
            (Some(id.clone()), Some(id), Some(RequestId::made("inner")))
        );
        assert_eq!(request_id(), None);
    }
}
