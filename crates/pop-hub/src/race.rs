//! Waiting for whichever of two futures finishes first (tokio's `select!`
//! would cost every project the macros crate).

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;

/// Which future finished first, with its output.
pub(crate) enum Either<A, B> {
    /// The first.
    Left(A),
    /// The second.
    Right(B),
}

/// Waits for whichever of `a` and `b` finishes first (`a` when both are ready).
pub(crate) async fn first<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let (mut a, mut b) = (pin!(a), pin!(b));
    poll_fn(|cx| {
        if let Poll::Ready(value) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(value));
        }
        b.as_mut().poll(cx).map(Either::Right)
    })
    .await
}
