//! Request ids: the client's `X-Request-Id` when it is sane, a fresh one
//! otherwise.
//!
//! A fresh id is `<process>-<thread>-<count>` in hex, e.g.
//! `9f2c4e1a7b3d5f60-1-2a`: 64 random bits chosen once per process (so two
//! processes, replicas behind one load balancer included, never share ids),
//! the server thread, and that thread's count of requests. Making one costs
//! a counter bump and a short format, no lock and no system call.

use std::hash::{BuildHasher, Hasher};

use hyper::header::{HeaderName, HeaderValue};

use super::metrics::Shard;
use crate::RequestId;

/// The header that carries the id, both ways.
pub(super) static HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id header a request sent, if any. A request has few headers: a look
/// at each is cheaper than hashing the name.
pub(super) fn sent(headers: &hyper::HeaderMap) -> Option<&HeaderValue> {
    headers
        .iter()
        .find_map(|(name, value)| (*name == HEADER).then_some(value))
}

/// The longest fresh id: 16 hex digits, a dash, a thread (up to 16), a
/// dash, a count (up to 16).
const FRESH_MAX: usize = 16 + 1 + 16 + 1 + 16;

/// The part of this process's ids that no other process shares.
pub(super) struct Ids {
    /// `<process>-<thread>-` of each server thread, made once.
    prefixes: Vec<Vec<u8>>,
}

impl Ids {
    /// A fresh prefix: std's randomly keyed hasher, fed the process id and
    /// the time, so that it differs between processes started together.
    pub(super) fn new(threads: usize) -> Ids {
        let mut hasher = std::hash::RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        hasher.write_u128(now.as_nanos());
        let mut process = [0; 16];
        hex(hasher.finish(), &mut process);
        let prefixes = (0..threads.max(1))
            .map(|thread| {
                let mut prefix = process.to_vec();
                prefix.push(b'-');
                let mut digits = [0; 16];
                let length = hex_trimmed(thread as u64, &mut digits);
                prefix.extend_from_slice(&digits[..length]);
                prefix.push(b'-');
                prefix
            })
            .collect();
        Ids { prefixes }
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
        let prefix = &self.prefixes[thread % self.prefixes.len()];
        let mut text = [0u8; FRESH_MAX];
        text[..prefix.len()].copy_from_slice(prefix);
        let end = prefix.len() + hex_trimmed(count, &mut text[prefix.len()..]);
        let text = &text[..end];
        // Hex digits and dashes: always a header value, always UTF-8.
        let header =
            HeaderValue::from_bytes(text).unwrap_or_else(|_| HeaderValue::from_static("-"));
        let id = RequestId::made_ascii(text);
        (id, header)
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `value` as 16 hex digits.
fn hex(value: u64, into: &mut [u8; 16]) {
    for (index, digit) in into.iter_mut().enumerate() {
        *digit = HEX[(value >> (60 - 4 * index) & 0xf) as usize];
    }
}

/// `value` in hex without leading zeros, at the start of `into`; its length.
fn hex_trimmed(value: u64, into: &mut [u8]) -> usize {
    let length = ((64 - value.leading_zeros() as usize).div_ceil(4)).max(1);
    for (index, digit) in into[..length].iter_mut().enumerate() {
        *digit = HEX[(value >> (4 * (length - 1 - index)) & 0xf) as usize];
    }
    length
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_ids_are_unique_hex() {
        let metrics = super::super::metrics::Metrics::new([], 2);
        let ids = Ids::new(2);
        let (one, header) = ids.of(None, &metrics.shard(1));
        let (two, _) = ids.of(None, &metrics.shard(1));
        let (three, _) = ids.of(None, &metrics.shard(0));
        assert_eq!(header.to_str().unwrap(), one.as_str());
        assert!(
            one.as_str().ends_with("-1-1") && two.as_str().ends_with("-1-2"),
            "{one} {two}"
        );
        assert!(three.as_str().ends_with("-0-1"), "{three}");
        assert_eq!(one.as_str().len(), 16 + 4);
        assert!(RequestId::parse(one.as_str().as_bytes()).is_some());
        assert_ne!(Ids::new(2).prefixes[0], ids.prefixes[0]);
        let sent = HeaderValue::from_static("mine-1");
        assert_eq!(ids.of(Some(&sent), &metrics.shard(0)).0.as_str(), "mine-1");
        let mut text = [0; 16];
        assert_eq!(hex_trimmed(0, &mut text), 1);
        assert_eq!(hex_trimmed(0x2a, &mut text), 2);
        assert_eq!(&text[..2], b"2a");
        assert_eq!(hex_trimmed(u64::MAX, &mut text), 16);
        assert_eq!(&text, b"ffffffffffffffff");
    }
}
