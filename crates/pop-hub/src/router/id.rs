//! Request ids: the client's `X-Request-Id` when it is sane, a fresh one
//! otherwise.
//!
//! A fresh id is `<process>-<thread>-<count>` in hex, e.g.
//! `9f2c4e1a7b3d5f60-1-2a`: 64 random bits chosen once per process (so two
//! processes, replicas behind one load balancer included, never share ids),
//! the server thread, and that thread's count of requests. Making one costs
//! a counter bump and a short format, no lock and no system call.

use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher};

use hyper::header::HeaderValue;

use super::metrics::Shard;
use crate::RequestId;

/// The header that carries the id, both ways.
pub(super) const HEADER: &str = "x-request-id";

/// The part of this process's ids that no other process shares.
pub(super) struct Ids {
    process: String,
}

impl Ids {
    /// A fresh prefix: std's randomly keyed hasher, fed the process id and
    /// the time, so that it differs between processes started together.
    pub(super) fn new() -> Ids {
        let mut hasher = std::hash::RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        hasher.write_u128(now.as_nanos());
        Ids {
            process: format!("{:016x}", hasher.finish()),
        }
    }

    /// The id of a request, and its header: the one it sent, when sane, or
    /// a fresh one.
    pub(super) fn of(&self, sent: Option<&HeaderValue>, shard: &Shard) -> (RequestId, HeaderValue) {
        if let Some(sent) = sent {
            if let Some(id) = RequestId::parse(sent.as_bytes()) {
                return (id, sent.clone());
            }
        }
        let (thread, count) = shard.next_id();
        let mut text = String::with_capacity(32);
        text.push_str(&self.process);
        let _ = write!(text, "-{thread:x}-{count:x}");
        let id = RequestId::made(&text);
        let header = HeaderValue::from_maybe_shared(hyper::body::Bytes::from(text))
            .unwrap_or_else(|_| HeaderValue::from_static("-"));
        (id, header)
    }
}
