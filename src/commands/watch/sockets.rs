//! The listening sockets the watcher holds for the app across restarts.
//!
//! What to listen on is the app's to say: before each start the watcher
//! asks the freshly built app for its plan (`{"kind": "plan"}`), in which
//! every server's start hook names the address it would listen on, with
//! the same configuration layers (arguments, environment, config file) it
//! will start with. The watcher binds what is new, keeps what is unchanged
//! (with every connection waiting in its backlog), and closes what the app
//! no longer asks for.

use std::net::{SocketAddr, TcpListener};

use serde_json::Value;

use crate::error::{Error, Result};

/// One socket, for the server `name`, bound to the address it asked for.
struct Held {
    name: String,
    asked: SocketAddr,
    socket: TcpListener,
}

/// The sockets held for the app.
#[derive(Default)]
pub struct Sockets {
    held: Vec<Held>,
}

/// A server's listener, as the app's plan names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wanted {
    /// The server's name (a router's sub).
    pub name: String,
    /// The address it asked for.
    pub address: SocketAddr,
}

impl Wanted {
    /// The listeners of an app's plan (`{"listeners": [{"name", "address"}]}`).
    pub fn from_plan(plan: &Value) -> Result<Vec<Wanted>> {
        let mut wanted = Vec::new();
        for listener in plan["listeners"].as_array().into_iter().flatten() {
            let name = listener["name"].as_str().unwrap_or_default().to_owned();
            let text = listener["address"].as_str().unwrap_or_default();
            let address = text.parse().map_err(|_| {
                Error::failure(format!(
                    "the app's plan names `{text}`, which is no address"
                ))
            })?;
            wanted.push(Wanted { name, address });
        }
        Ok(wanted)
    }
}

impl Sockets {
    /// Holds exactly the sockets `wanted` names: keeps those held already,
    /// binds the new ones, closes the rest. Nothing changes on an error.
    pub fn hold(&mut self, wanted: &[Wanted]) -> Result<()> {
        let mut next = Vec::new();
        let mut old = std::mem::take(&mut self.held);
        for want in wanted {
            let kept = old
                .iter()
                .position(|held| held.name == want.name && held.asked == want.address);
            let held = match kept {
                Some(index) => old.swap_remove(index),
                None => match TcpListener::bind(want.address) {
                    Ok(socket) => Held {
                        name: want.name.clone(),
                        asked: want.address,
                        socket,
                    },
                    Err(err) => {
                        // Put back what was held, as it was.
                        old.extend(next);
                        self.held = old;
                        return Err(Error::failure(format!(
                            "cannot listen on {} for `{}`: {err}",
                            want.address, want.name
                        )));
                    }
                },
            };
            next.push(held);
        }
        self.held = next;
        Ok(())
    }

    /// The sockets to hand over, as (name, socket), in order.
    pub fn handover(&self) -> Vec<(&str, &TcpListener)> {
        self.held
            .iter()
            .map(|held| (held.name.as_str(), &held.socket))
            .collect()
    }

    /// Where each socket listens, for the watcher's messages.
    pub fn addresses(&self) -> Vec<String> {
        self.held
            .iter()
            .filter_map(|held| held.socket.local_addr().ok())
            .map(|address| address.to_string())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want(name: &str, address: &str) -> Wanted {
        Wanted {
            name: name.to_owned(),
            address: address.parse().unwrap(),
        }
    }

    #[test]
    fn a_socket_asked_for_again_is_the_same_socket() {
        let mut sockets = Sockets::default();
        sockets.hold(&[want("rpc", "127.0.0.1:0")]).unwrap();
        let first = sockets.addresses();
        sockets.hold(&[want("rpc", "127.0.0.1:0")]).unwrap();
        assert_eq!(sockets.addresses(), first, "kept, not bound anew");
        sockets.hold(&[]).unwrap();
        assert!(sockets.addresses().is_empty());
    }

    #[test]
    fn a_failed_bind_keeps_what_was_held() {
        let mut sockets = Sockets::default();
        sockets.hold(&[want("rpc", "127.0.0.1:0")]).unwrap();
        let busy = sockets.addresses()[0].clone();
        let err = sockets
            .hold(&[want("rpc", "127.0.0.1:0"), want("admin", &busy)])
            .unwrap_err();
        assert!(
            err.message().contains("cannot listen on"),
            "{}",
            err.message()
        );
        assert_eq!(sockets.addresses(), [busy]);
    }
}
