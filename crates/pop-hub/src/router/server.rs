//! Connections: how many, how long they may stall, and how they end.

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::metrics::Shard;
use super::request::Router;
use super::{GRACE, HEADER_TIMEOUT};

/// hyper's read buffer, which bounds a request's headers (431 beyond it).
const MAX_HEADERS: usize = 16 * 1024;

/// After shutdown is asked for, how long connections get to read the
/// requests their clients already sent, before they are told to close.
const DRAIN: Duration = Duration::from_millis(100);

/// How long a connection whose request body was abandoned gets to send its
/// answer before it is closed.
const LINGER: Duration = Duration::from_secs(1);

/// Accepts and serves connections until `shutdown` resolves, then lets the
/// requests already sent finish, within [`GRACE`]. `slots` caps the
/// connections of every server thread together; `index` is this server
/// thread's, which counts in a metrics shard of its own.
pub(super) async fn run(
    listener: TcpListener,
    router: Arc<Router>,
    index: usize,
    slots: Arc<Semaphore>,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let shard = router.shard(index);
    let mut shutdown = pin!(shutdown);
    loop {
        // A free slot, then the next connection, unless shutdown comes first:
        // at the cap, further clients wait in the kernel's queue.
        let next = async {
            let slot = slots.clone().acquire_owned().await.ok()?;
            let accepted = listener.accept().await;
            Some((slot, accepted))
        };
        let mut next = pin!(next);
        let event = poll_fn(|cx| match shutdown.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(None),
            Poll::Pending => next.as_mut().poll(cx).map(Some),
        });
        let (slot, accepted) = match event.await {
            None => break,
            Some(None) => break,
            Some(Some(next)) => next,
        };
        match accepted {
            Ok((stream, _)) => serve(stream, slot, &router, &shard, &graceful),
            // A failed accept (out of file descriptors, a reset) is not fatal.
            Err(err) => {
                tracing::warn!("{}: accept failed: {err}", router.sub());
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    // Connections the kernel accepted before shutdown are served too: their
    // clients have sent requests that deserve answers, not resets.
    if let Ok(listener) = listener.into_std() {
        while let Ok((stream, _)) = listener.accept() {
            let stream = stream
                .set_nonblocking(true)
                .and_then(|()| tokio::net::TcpStream::from_std(stream));
            let (Ok(slot), Ok(stream)) = (slots.clone().try_acquire_owned(), stream) else {
                break;
            };
            serve(stream, slot, &router, &shard, &graceful);
        }
    }
    tokio::time::sleep(DRAIN).await;
    if tokio::time::timeout(GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "{}: requests still running after {GRACE:?}; stopping anyway",
            router.sub()
        );
    }
}

/// What the requests of one connection share.
struct Connection {
    router: Arc<Router>,
    shard: Arc<Shard>,
    /// Set by a request whose body was not read to the end: the connection
    /// must close once it has answered.
    close: AtomicBool,
}

/// Serves one connection on its own task, holding its slot until it ends.
fn serve(
    stream: tokio::net::TcpStream,
    slot: tokio::sync::OwnedSemaphorePermit,
    router: &Arc<Router>,
    shard: &Arc<Shard>,
    graceful: &GracefulShutdown,
) {
    let _ = stream.set_nodelay(true);
    let open = shard.connection();
    // What every request of the connection shares, in one allocation.
    let state = Arc::new(Connection {
        router: router.clone(),
        shard: shard.clone(),
        close: AtomicBool::new(false),
    });
    let handler = state.clone();
    let service = hyper::service::service_fn(move |request| {
        let state = handler.clone();
        async move {
            let answer = state.router.handle(request, &state.close, &state.shard);
            Ok::<_, Infallible>(answer.await)
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(MAX_HEADERS)
        // A client may shut its side down once it has sent its request
        // (`nc -N`, some proxies): it still gets its answer.
        .half_close(true)
        .serve_connection(TokioIo::new(stream), service);
    let connection = graceful.watch(connection);
    tokio::spawn(async move {
        let mut connection = pin!(connection);
        // A client that hangs up mid-request is its own business. The
        // handler runs inside the connection's poll, so a close it asks for
        // is seen right after that poll: no wake-up is needed.
        let ended = poll_fn(|cx| match connection.as_mut().poll(cx) {
            Poll::Ready(_) => Poll::Ready(true),
            Poll::Pending if state.close.load(Ordering::Relaxed) => Poll::Ready(false),
            Poll::Pending => Poll::Pending,
        })
        .await;
        if !ended {
            let _ = tokio::time::timeout(LINGER, connection).await;
        }
        drop((slot, open));
    });
}
