//! Calling plugins by reference: the futures of a call, which catch a
//! plugin's panic and name the function in every error.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use serde_json::Value;

use crate::error::CallError;
use crate::hub::Hub;
use crate::plugin::{BoxFuture, Kwargs, PluginCall, Reply, Want};

/// The future of a call by reference (`hub.call(…)`): the function's value
/// as JSON.
///
/// A plain `fn` plugin runs on the first poll, with nothing allocated; an
/// `async fn` plugin's future is boxed by its shim. A panic in either is
/// caught and returned as [`CallError::Panicked`].
#[must_use = "a call does nothing until it is awaited"]
pub struct Call<'a> {
    invocation: Invocation<'a>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(invocation: Invocation<'a>) -> Self {
        Call { invocation }
    }

    pub(crate) fn failed(error: CallError) -> Self {
        Call {
            invocation: Invocation::failed(error),
        }
    }
}

impl Future for Call<'_> {
    type Output = Result<Value, CallError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let reference = self.invocation.reference;
        Pin::new(&mut self.invocation).poll(cx).map(|reply| {
            reply.and_then(|reply| {
                reply
                    .into_value()
                    .map_err(|err| err.with_reference(reference))
            })
        })
    }
}

/// The future of a call in the form the caller wants it back (a router
/// wants JSON text).
#[must_use = "a call does nothing until it is awaited"]
pub(crate) struct Invocation<'a> {
    state: State<'a>,
    reference: &'a str,
}

enum State<'a> {
    Sync {
        shim: fn(&Hub, &str, Kwargs<'_>, Want) -> Result<Reply, CallError>,
        hub: &'a Hub,
        kwargs: Kwargs<'a>,
        want: Want,
    },
    Async(BoxFuture<'a>),
    Failed(CallError),
    Done,
}

impl<'a> Invocation<'a> {
    pub(crate) fn new(
        call: PluginCall,
        hub: &'a Hub,
        kwargs: Kwargs<'a>,
        want: Want,
        reference: &'a str,
    ) -> Self {
        let state = match call {
            PluginCall::Sync(shim) => State::Sync {
                shim,
                hub,
                kwargs,
                want,
            },
            // Making the future may already run code of the plugin's.
            PluginCall::Async(shim) => match catch(|| shim(hub, reference, kwargs, want)) {
                Ok(future) => State::Async(future),
                Err(panicked) => State::Failed(panicked),
            },
        };
        Invocation { state, reference }
    }

    pub(crate) fn failed(error: CallError) -> Self {
        Invocation {
            state: State::Failed(error),
            reference: "",
        }
    }

    /// The outcome of a call that finishes without waiting (a plain `fn`
    /// plugin, or a call that failed before it started), on this thread.
    #[cfg(feature = "router")]
    pub(crate) fn finish_now(self) -> Result<Reply, CallError> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match std::pin::pin!(self).poll(&mut cx) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(CallError::Failed {
                reference: String::new(),
                error: anyhow::anyhow!("an async plugin was called as a blocking one"),
            }),
        }
    }
}

impl Future for Invocation<'_> {
    type Output = Result<Reply, CallError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let result = match std::mem::replace(&mut this.state, State::Done) {
            State::Sync {
                shim,
                hub,
                kwargs,
                want,
            } => catch(|| shim(hub, this.reference, kwargs, want)).and_then(|result| result),
            State::Async(mut future) => match catch(|| future.as_mut().poll(cx)) {
                Ok(Poll::Pending) => {
                    this.state = State::Async(future);
                    return Poll::Pending;
                }
                Ok(Poll::Ready(result)) => result,
                Err(panicked) => Err(panicked),
            },
            State::Failed(error) => Err(error),
            State::Done => panic!("a pop::Call polled after it completed"),
        };
        Poll::Ready(result.map_err(|err| err.with_reference(this.reference)))
    }
}

/// Runs `f`, turning a panic into [`CallError::Panicked`].
pub(crate) fn catch<T>(f: impl FnOnce() -> T) -> Result<T, CallError> {
    crate::log::catching(|| catch_unwind(AssertUnwindSafe(f))).map_err(|payload| {
        CallError::Panicked {
            reference: String::new(),
            message: panic_message(&*payload),
        }
    })
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_owned()
    }
}
