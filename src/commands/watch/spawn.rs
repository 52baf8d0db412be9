//! Starting the app with its listening sockets handed over, by systemd's
//! socket-activation protocol: the sockets as descriptors 3, 4, …,
//! `LISTEN_FDS` their number, `LISTEN_FDNAMES` their names (the server each
//! is for), and `LISTEN_PID` the app's own process id, which the app checks
//! so that a process it starts in turn does not take them too.
//!
//! `LISTEN_PID` can only be known in the child, after `fork`: systemfd
//! replaces itself with the program (`exec`, which keeps the pid). Here the
//! watcher stays, so the child writes its pid into an environment it was
//! given ready-made and calls `execve` itself. Between `fork` and `exec` a
//! child of a multi-threaded process may only do async-signal-safe things:
//! no allocation, no locks, hence not `setenv` (which allocates and locks)
//! nor `std::env::set_var`. So everything is prepared before `fork`, and
//! the child only moves descriptors (`fcntl`, `dup2`), asks for a signal if
//! the watcher dies (`prctl`), formats digits into a buffer it owns, and
//! calls `execve`.

use std::ffi::OsString;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The variables of the protocol, which an app inherits from nobody else.
const PROTOCOL: [&str; 3] = super::super::app_request::LISTEN_VARS;

/// The variables of a tool's request, which a served app must not see.
const REQUEST: [&str; 2] = [
    super::super::app_request::REQUEST_VAR,
    super::super::app_request::REPLY_VAR,
];

/// Starts `binary` with `args`, in a process group of its own (so that a
/// Ctrl-C at the terminal reaches the watcher, which stops the app once),
/// with `sockets` handed over as (name, socket).
pub fn start(
    binary: &Path,
    args: &[OsString],
    sockets: &[(&str, &TcpListener)],
) -> std::io::Result<Child> {
    let mut command = Command::new(binary);
    command.args(args).stdin(Stdio::null());
    for name in PROTOCOL.iter().chain(&REQUEST) {
        command.env_remove(name);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
        if !sockets.is_empty() {
            let mut exec = activation::Exec::prepare(binary, args, sockets)?;
            // SAFETY: the closure runs in the child between fork and exec,
            // and does only async-signal-safe things (see `Exec::run`).
            unsafe {
                command.pre_exec(move || exec.run());
            }
        }
    }
    #[cfg(not(unix))]
    let _ = sockets;
    command.spawn()
}

#[cfg(unix)]
mod activation {
    //! The child's side of the hand-over, prepared before `fork`.

    use std::ffi::{CString, OsString};
    use std::net::TcpListener;
    use std::os::fd::{AsRawFd, RawFd};
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;

    use libc::c_char;

    /// The first descriptor of the protocol (`SD_LISTEN_FDS_START`).
    const FIRST_FD: RawFd = 3;

    /// `LISTEN_PID=`, followed by room for any pid and a NUL.
    const PID_PREFIX: &[u8] = b"LISTEN_PID=";
    const PID_ROOM: usize = 24;

    /// An `execve` of the app, ready but for the pid.
    pub(super) struct Exec {
        program: CString,
        // Owned here, pointed to by `argv` and `envp`.
        _strings: Vec<CString>,
        argv: Vec<*const c_char>,
        envp: Vec<*const c_char>,
        /// `LISTEN_PID=` and room for the digits; `envp[pid_slot]` points to it.
        pid: Vec<u8>,
        pid_slot: usize,
        /// The sockets' descriptors in the watcher, in hand-over order.
        fds: Vec<RawFd>,
        /// Room for their copies above the protocol's range.
        moved: Vec<RawFd>,
    }

    // SAFETY: the raw pointers point into `_strings` and `pid`, which the
    // value owns and never changes after `prepare` except `pid`'s bytes (in
    // the child, which has one thread); it is used by one thread at a time.
    unsafe impl Send for Exec {}
    // SAFETY: as above; `run` takes `&mut self`, so shared use only reads.
    unsafe impl Sync for Exec {}

    impl Exec {
        /// Everything `run` needs, allocated now.
        pub(super) fn prepare(
            binary: &Path,
            args: &[OsString],
            sockets: &[(&str, &TcpListener)],
        ) -> std::io::Result<Exec> {
            let c_string = |bytes: &[u8]| {
                CString::new(bytes).map_err(|_| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        "a NUL byte in an argument or variable",
                    )
                })
            };
            let program = c_string(binary.as_os_str().as_bytes())?;
            let mut argv_strings = vec![program.clone()];
            for arg in args {
                argv_strings.push(c_string(arg.as_bytes())?);
            }
            let names: Vec<&str> = sockets.iter().map(|(name, _)| *name).collect();
            let skipped: Vec<&str> = super::PROTOCOL
                .iter()
                .chain(&super::REQUEST)
                .copied()
                .collect();
            let mut env_strings = Vec::new();
            for (key, value) in std::env::vars_os() {
                if skipped.iter().any(|name| key == *name) {
                    continue;
                }
                let mut entry = key.as_bytes().to_vec();
                entry.push(b'=');
                entry.extend_from_slice(value.as_bytes());
                env_strings.push(c_string(&entry)?);
            }
            env_strings.push(c_string(
                format!("LISTEN_FDS={}", sockets.len()).as_bytes(),
            )?);
            env_strings.push(c_string(
                format!("LISTEN_FDNAMES={}", names.join(":")).as_bytes(),
            )?);
            let mut pid = Vec::with_capacity(PID_PREFIX.len() + PID_ROOM);
            pid.extend_from_slice(PID_PREFIX);
            pid.resize(PID_PREFIX.len() + PID_ROOM, 0);
            let argv: Vec<*const c_char> = argv_strings
                .iter()
                .map(|s| s.as_ptr())
                .chain(std::iter::once(std::ptr::null()))
                .collect();
            let mut envp: Vec<*const c_char> = env_strings.iter().map(|s| s.as_ptr()).collect();
            let pid_slot = envp.len();
            envp.push(pid.as_ptr().cast());
            envp.push(std::ptr::null());
            let mut strings = argv_strings;
            strings.extend(env_strings);
            let fds: Vec<RawFd> = sockets
                .iter()
                .map(|(_, socket)| socket.as_raw_fd())
                .collect();
            let moved = vec![-1; fds.len()];
            Ok(Exec {
                program,
                _strings: strings,
                argv,
                envp,
                pid,
                pid_slot,
                fds,
                moved,
            })
        }

        /// In the child: the sockets to 3, 4, …, the pid into `LISTEN_PID`,
        /// then `execve`. Returns only on failure.
        pub(super) fn run(&mut self) -> std::io::Result<()> {
            let count = self.fds.len() as RawFd;
            // First above the range, so that no socket is overwritten
            // before it is copied (the watcher's own may be 3, 4, …); these
            // copies close on exec.
            for (index, fd) in self.fds.iter().enumerate() {
                // SAFETY: fcntl on a descriptor this process holds; async-signal-safe.
                let moved = unsafe { libc::fcntl(*fd, libc::F_DUPFD_CLOEXEC, FIRST_FD + count) };
                if moved < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                self.moved[index] = moved;
            }
            // dup2's copies do not close on exec: the app gets them.
            for (index, moved) in self.moved.iter().enumerate() {
                // SAFETY: dup2 onto the protocol's descriptors; async-signal-safe.
                if unsafe { libc::dup2(*moved, FIRST_FD + index as RawFd) } < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            // If the watcher is killed outright, the app is asked to stop
            // rather than left holding the port.
            #[cfg(target_os = "linux")]
            // SAFETY: prctl with integer arguments; async-signal-safe.
            unsafe {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            }
            // SAFETY: getpid cannot fail; async-signal-safe.
            let pid = unsafe { libc::getpid() };
            write_decimal(&mut self.pid[PID_PREFIX.len()..], pid.unsigned_abs());
            self.envp[self.pid_slot] = self.pid.as_ptr().cast();
            // SAFETY: every pointer is to a NUL-terminated string owned by
            // `self`, and both arrays end with a null pointer.
            unsafe {
                libc::execve(
                    self.program.as_ptr(),
                    self.argv.as_ptr(),
                    self.envp.as_ptr(),
                );
            }
            Err(std::io::Error::last_os_error())
        }
    }

    /// Writes `value`'s digits and a NUL into `into`, without allocating.
    fn write_decimal(into: &mut [u8], value: u32) {
        let mut digits = [0u8; 10];
        let mut count = 0;
        let mut rest = value;
        loop {
            digits[count] = b'0' + (rest % 10) as u8;
            count += 1;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        for index in 0..count {
            into[index] = digits[count - 1 - index];
        }
        into[count] = 0;
    }

    #[cfg(test)]
    mod tests {
        use super::write_decimal;

        #[test]
        fn a_pid_is_written_in_decimal_with_its_nul() {
            for (pid, text) in [
                (0u32, "0"),
                (7, "7"),
                (4_194_304, "4194304"),
                (u32::MAX, "4294967295"),
            ] {
                let mut room = [b'x'; 24];
                write_decimal(&mut room, pid);
                assert_eq!(&room[..text.len()], text.as_bytes());
                assert_eq!(room[text.len()], 0);
            }
        }
    }
}
