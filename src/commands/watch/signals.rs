//! Ctrl-C and SIGTERM during `run --watch`: the app runs in a process group
//! of its own, so a Ctrl-C at the terminal reaches the watcher alone; the
//! watcher passes each signal on to the app (its normal graceful shutdown,
//! and a second Ctrl-C stops it at once), then ends when the app has.
//!
//! The signal thread and the main loop share who the running app is: each
//! app is signalled by exactly one of them, whichever takes it first.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::mpsc::Sender;

use super::Event;
use crate::error::{Error, Result};

/// Who the running app is, and whether the watcher is stopping.
#[derive(Default)]
pub struct Control {
    /// The running app's pid, 0 for none or once a signal has taken it.
    app: AtomicI32,
    /// The app a signal was passed to, for the next signal.
    signalled: AtomicI32,
    stopping: AtomicBool,
}

impl Control {
    /// Notes a newly started app. If a signal came while it started, it is
    /// passed SIGTERM now, and this returns false.
    pub fn adopt(&self, pid: u32) -> bool {
        let pid = i32::try_from(pid).unwrap_or(0);
        self.app.store(pid, Ordering::SeqCst);
        if !self.stopping() {
            return true;
        }
        if self.app.swap(0, Ordering::SeqCst) == pid {
            self.signalled.store(pid, Ordering::SeqCst);
            send(pid, Signal::Terminate);
        }
        false
    }

    /// Takes the running app back, to stop it for a restart or because it
    /// ended; `false` when a signal has taken it already.
    pub fn release(&self) -> bool {
        self.app.swap(0, Ordering::SeqCst) != 0
    }

    /// True once a signal asked the watcher to stop.
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    fn on_signal(&self, signal: Signal) {
        self.stopping.store(true, Ordering::SeqCst);
        let taken = self.app.swap(0, Ordering::SeqCst);
        let pid = if taken > 0 {
            self.signalled.store(taken, Ordering::SeqCst);
            taken
        } else {
            self.signalled.load(Ordering::SeqCst)
        };
        if pid > 0 {
            send(pid, signal);
        }
    }
}

/// The signals the watcher passes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM (and SIGHUP, a closed terminal).
    Terminate,
}

/// Sends `signal` to `pid`.
pub fn send(pid: i32, signal: Signal) {
    #[cfg(unix)]
    {
        let number = match signal {
            Signal::Interrupt => libc::SIGINT,
            Signal::Terminate => libc::SIGTERM,
        };
        // SAFETY: kill has no memory-safety preconditions; the pid is the app's.
        unsafe {
            libc::kill(pid, number);
        }
    }
    #[cfg(not(unix))]
    let _ = (pid, signal);
}

/// Starts the thread that passes signals on and tells the main loop.
#[cfg(unix)]
pub fn watch(control: Arc<Control>, events: Sender<Event>) -> Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
        .map_err(|err| Error::failure(format!("cannot watch for Ctrl-C: {err}")))?;
    std::thread::Builder::new()
        .name("pop-create-signals".into())
        .spawn(move || {
            for number in signals.forever() {
                let signal = if number == SIGINT {
                    Signal::Interrupt
                } else {
                    Signal::Terminate
                };
                control.on_signal(signal);
                if events.send(Event::Signal).is_err() {
                    break;
                }
            }
        })
        .map_err(|err| Error::failure(format!("cannot watch for Ctrl-C: {err}")))?;
    Ok(())
}

/// Elsewhere Ctrl-C ends the watcher and the app as the console has it.
#[cfg(not(unix))]
pub fn watch(_control: Arc<Control>, _events: Sender<Event>) -> Result<()> {
    Ok(())
}
