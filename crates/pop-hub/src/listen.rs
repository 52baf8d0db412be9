//! Listening sockets, claimed or handed over.
//!
//! A server asks [`tcp`] for a listener on an address. When whoever started
//! the app handed it listening sockets through systemd's socket-activation
//! protocol (`LISTEN_FDS` descriptors from fd 3 on, `LISTEN_PID` naming this
//! process, optionally `LISTEN_FDNAMES`), the server takes the one meant for
//! it instead of binding: so systemd can start the app on the first
//! connection, and `pop-create run --watch` can restart it while the socket,
//! and every connection waiting in its backlog, stays open.
//!
//! Which socket a server takes, in order: the one whose name
//! (`FileDescriptorName=` in a systemd socket unit) is the server's name
//! (a router's sub, e.g. `rpc`); else the one bound to exactly the address
//! asked for; else one on the same port bound to every address
//! (`ListenStream=8888`). Each socket is taken once. With none that fits,
//! the server binds the address itself, and says so in the log.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// The first descriptor of the protocol (`SD_LISTEN_FDS_START`).
#[cfg(unix)]
const FIRST_FD: i32 = 3;

/// More descriptors than this are not taken for a listen request.
#[cfg(unix)]
const MAX_FDS: i32 = 1024;

/// A socket handed over, until a server takes it.
struct Inherited {
    name: Option<String>,
    address: SocketAddr,
    listener: Option<TcpListener>,
}

/// The sockets handed over to this process, read once from its environment.
fn inherited() -> MutexGuard<'static, Vec<Inherited>> {
    static INHERITED: OnceLock<Mutex<Vec<Inherited>>> = OnceLock::new();
    INHERITED
        .get_or_init(|| Mutex::new(from_environment()))
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// While a tool asks the app what it would listen on (`pop-create run
/// --watch` does, see `crate::request`), what servers asked for.
fn plan() -> MutexGuard<'static, Option<Vec<(String, SocketAddr)>>> {
    static PLAN: Mutex<Option<Vec<(String, SocketAddr)>>> = Mutex::new(None);
    PLAN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A listener for the server `name` on `address`: a socket handed over to
/// the app if one fits, else one bound here.
///
/// ```no_run
/// # extern crate pop_hub as pop;
/// let listener = pop::listen::tcp("rpc", "127.0.0.1:8888".parse().unwrap())?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn tcp(name: &str, address: SocketAddr) -> io::Result<TcpListener> {
    if let Some(asked) = plan().as_mut() {
        asked.push((name.to_owned(), address));
        // Nothing is claimed while planning: a free port of the same address
        // stands in, so a start hook runs as written, and an address this
        // machine does not have still fails as it would.
        return TcpListener::bind(SocketAddr::new(address.ip(), 0));
    }
    let mut inherited = inherited();
    if let Some(listener) = take(&mut inherited, name, address) {
        tracing::debug!("{name}: serving on the socket handed over for {address}");
        return Ok(listener);
    }
    if !inherited.is_empty() {
        let offered: Vec<String> = inherited
            .iter()
            .map(|socket| match &socket.name {
                Some(named) => format!("{} ({named})", socket.address),
                None => socket.address.to_string(),
            })
            .collect();
        tracing::warn!(
            "{name}: no socket handed over fits {address} (offered: {}); binding it here",
            offered.join(", ")
        );
    }
    TcpListener::bind(address)
}

/// Takes the handed-over socket that fits `name` and `address`, if any.
fn take(inherited: &mut [Inherited], name: &str, address: SocketAddr) -> Option<TcpListener> {
    let fits: [&dyn Fn(&Inherited) -> bool; 3] = [
        &|socket| socket.name.as_deref() == Some(name),
        &|socket| socket.address == address,
        &|socket| socket.address.port() == address.port() && socket.address.ip().is_unspecified(),
    ];
    fits.iter().find_map(|fits| {
        inherited
            .iter_mut()
            .find(|socket| socket.listener.is_some() && fits(socket))
            .and_then(|socket| socket.listener.take())
    })
}

/// Starts a plan: from now on [`tcp`] notes what is asked and claims nothing.
pub(crate) fn start_plan() {
    *plan() = Some(Vec::new());
}

/// The listeners asked for since [`start_plan`], as (name, address).
pub(crate) fn planned() -> Vec<(String, SocketAddr)> {
    plan().clone().unwrap_or_default()
}

/// The sockets this process was handed, by the protocol's variables.
#[cfg(unix)]
fn from_environment() -> Vec<Inherited> {
    use std::os::fd::{FromRawFd, IntoRawFd};

    let var = |name: &str| std::env::var(name).ok();
    let for_us = var("LISTEN_PID")
        .and_then(|pid| pid.trim().parse::<u32>().ok())
        .is_some_and(|pid| pid == std::process::id());
    let count = var("LISTEN_FDS")
        .and_then(|count| count.trim().parse::<i32>().ok())
        .unwrap_or(0);
    if !for_us || !(1..=MAX_FDS).contains(&count) {
        return Vec::new();
    }
    let names = var("LISTEN_FDNAMES").unwrap_or_default();
    let mut names = names.split(':');
    let mut sockets = Vec::new();
    for fd in FIRST_FD..FIRST_FD + count {
        let name = names
            .next()
            .filter(|name| !name.is_empty())
            .map(str::to_owned);
        // SAFETY: the protocol hands descriptors 3 to 3 + LISTEN_FDS - 1 to
        // the process LISTEN_PID names, which was checked to be this one;
        // nothing else in the process claims them, and this runs once.
        let listener = unsafe { TcpListener::from_raw_fd(fd) };
        let Ok(address) = listener.local_addr() else {
            // Not a TCP socket (a UNIX or UDP one): left as it was, for
            // whatever else the app may do with it.
            let _ = listener.into_raw_fd();
            continue;
        };
        // A copy that is closed on exec, so the app's own child processes
        // do not keep the socket open; the descriptor handed over is closed.
        let Ok(listener) = listener.try_clone() else {
            continue;
        };
        sockets.push(Inherited {
            name,
            address,
            listener: Some(listener),
        });
    }
    sockets
}

/// Elsewhere there is no socket activation: nothing is handed over.
#[cfg(not(unix))]
fn from_environment() -> Vec<Inherited> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socket(name: Option<&str>, address: &str) -> Inherited {
        let listener = TcpListener::bind("127.0.0.1:0").expect("loopback binds");
        Inherited {
            name: name.map(str::to_owned),
            address: address.parse().expect("an address"),
            listener: Some(listener),
        }
    }

    #[test]
    fn a_server_takes_its_named_socket_then_an_exact_address_then_a_wildcard_on_its_port() {
        let mut sockets = vec![
            socket(None, "0.0.0.0:8888"),
            socket(None, "127.0.0.1:8888"),
            socket(Some("admin"), "127.0.0.1:9000"),
        ];
        let asked = "127.0.0.1:8888".parse().unwrap();
        assert!(take(&mut sockets, "admin", asked).is_some());
        assert!(sockets[2].listener.is_none(), "by name first");
        assert!(take(&mut sockets, "rpc", asked).is_some());
        assert!(sockets[1].listener.is_none(), "then the exact address");
        assert!(take(&mut sockets, "rpc", asked).is_some());
        assert!(
            sockets[0].listener.is_none(),
            "then every address, same port"
        );
        assert!(
            take(&mut sockets, "rpc", asked).is_none(),
            "each is taken once"
        );
    }

    #[test]
    fn a_socket_on_another_port_is_not_taken() {
        let mut sockets = vec![socket(None, "0.0.0.0:9999")];
        assert!(take(&mut sockets, "rpc", "127.0.0.1:8888".parse().unwrap()).is_none());
        assert!(sockets[0].listener.is_some());
    }
}
