//! Loading the configuration and running the hub until shutdown.

use std::ffi::OsString;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::task::JoinSet;

use crate::conf;
use crate::hub::Hub;

impl Hub {
    /// Loads the configuration from this process's command line and
    /// environment (and the config file they name) into [`Hub::opt`], then
    /// starts logging at `--log-level` (to `--log-file`, or stderr).
    ///
    /// `--help` and `--version` come back as an error that [`crate::report`]
    /// prints to stdout with exit code 0; a bad value as one that names the
    /// option and its source, with exit code 2.
    pub fn load_config(&mut self) -> crate::Result<()> {
        self.load_config_from(std::env::args_os(), |name| std::env::var(name).ok())
    }

    /// [`Hub::load_config`] with the arguments (program name first) and the
    /// environment given, for tests.
    pub fn load_config_from<I, T>(
        &mut self,
        args: I,
        env: impl Fn(&str) -> Option<String>,
    ) -> crate::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        let args = args.into_iter().map(Into::into).collect();
        let loaded = conf::load(self.crates(), args, &env)?;
        self.opt = loaded.opt;
        self.config_loaded = true;
        self.opt_sources = loaded.sources;
        self.subcommand = loaded.subcommand;
        if let Some(app) = self.app() {
            let app = &self.opt[app.name];
            // The loader checked both words (`log_format` is a router app's).
            crate::log::start(
                app["log_level"].as_str().unwrap_or("info"),
                app["log_file"].as_str(),
                app["log_format"].as_str().unwrap_or("text"),
            )?;
        }
        Ok(())
    }

    /// Runs the hub: starts the added subs if the app did not (see
    /// [`Hub::start`]), then their `run` hooks (a router serves here) on a
    /// multi-threaded runtime, and returns when all have finished. With no
    /// run hooks it returns at once.
    ///
    /// Ctrl-C or SIGTERM asks the hooks to stop; whatever they are doing,
    /// the process ends within the grace period, 12 s, of it (exit 0), and at once on a
    /// second signal (exit 130). Signals are watched on a thread of their
    /// own, so hooks or plugins that block every worker cannot delay them.
    /// A hook's error stops the others and is returned.
    pub fn run(self) -> crate::Result<()> {
        let mut hub = self;
        hub.start()?;
        let hooks = hub.take_run_hooks();
        if hooks.is_empty() {
            return Ok(());
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .max_blocking_threads(MAX_BLOCKING_THREADS)
            .build()
            .context("cannot start the async runtime")?;
        let hub = Arc::new(hub);
        signals::watch(hub.clone())?;
        let result = runtime.block_on(run_hooks(hub, hooks));
        // A blocking call still running must not keep a stopped app alive.
        runtime.shutdown_timeout(Duration::from_millis(500));
        crate::log::flush();
        result
    }
}

/// How long the hub waits, once asked to stop, before it ends the process
/// whatever its run hooks are doing: a router's own grace, and a margin.
pub const GRACE: Duration = Duration::from_secs(12);

/// Plain `fn` plugins that a router runs at once, at most; more wait their turn.
const MAX_BLOCKING_THREADS: usize = 64;

async fn run_hooks(hub: Arc<Hub>, hooks: Vec<crate::registry::RunHook>) -> crate::Result<()> {
    let mut tasks = JoinSet::new();
    for hook in &hooks {
        tasks.spawn(hook(hub.clone()));
    }
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        let outcome = match joined {
            Ok(result) => result,
            Err(err) if err.is_panic() => Err(anyhow::anyhow!("a run hook panicked")),
            Err(err) => Err(err.into()),
        };
        if let Err(err) = outcome {
            hub.request_shutdown();
            first_error.get_or_insert(err);
        }
    }
    first_error.map_or(Ok(()), Err)
}

mod signals {
    //! Ctrl-C and SIGTERM, on a thread of the hub's own.

    use std::future::{Future, poll_fn};
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::Poll;

    use super::GRACE;
    use crate::hub::Hub;

    /// Watches for the first signal (ask the hub to stop, and end the
    /// process if it has not stopped within the grace period) and the
    /// second (end it at once).
    pub(super) fn watch(hub: Arc<Hub>) -> crate::Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        // The handlers are installed before this returns, so a signal that
        // comes as soon as the app announces itself is already ours (not the
        // default action, which would end the process on the spot).
        let signals = {
            let _context = runtime.enter();
            Signals::new()
        };
        let Some(signals) = signals else {
            return Ok(());
        };
        std::thread::Builder::new()
            .name("pop-signals".into())
            .spawn(move || runtime.block_on(stop_on_signals(hub, signals)))?;
        Ok(())
    }

    async fn stop_on_signals(hub: Arc<Hub>, mut signal: Signals) {
        signal.next().await;
        tracing::info!("shutting down (a second Ctrl-C stops at once)");
        hub.request_shutdown();
        let second = signal.next();
        let code = match first(second, tokio::time::sleep(GRACE)).await {
            Which::First => {
                tracing::warn!("stopping now, without waiting for the run hooks");
                130
            }
            Which::Second => {
                tracing::warn!("the run hooks did not stop within {GRACE:?}; stopping now");
                0
            }
        };
        crate::log::flush();
        std::process::exit(code);
    }

    /// Which of two futures finished first.
    enum Which {
        First,
        Second,
    }

    /// Waits for whichever of `a` and `b` finishes first (tokio's `select!`
    /// would cost every project the macros crate).
    async fn first<A: Future, B: Future>(a: A, b: B) -> Which {
        let (mut a, mut b) = (pin!(a), pin!(b));
        poll_fn(|cx| {
            if a.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Which::First);
            }
            b.as_mut().poll(cx).map(|_| Which::Second)
        })
        .await
    }

    /// Ctrl-C or SIGTERM, whichever comes.
    struct Signals {
        #[cfg(unix)]
        interrupt: tokio::signal::unix::Signal,
        #[cfg(unix)]
        terminate: tokio::signal::unix::Signal,
    }

    impl Signals {
        #[cfg(unix)]
        fn new() -> Option<Signals> {
            use tokio::signal::unix::{SignalKind, signal};
            Some(Signals {
                interrupt: signal(SignalKind::interrupt()).ok()?,
                terminate: signal(SignalKind::terminate()).ok()?,
            })
        }

        #[cfg(not(unix))]
        fn new() -> Option<Signals> {
            Some(Signals {})
        }

        #[cfg(unix)]
        async fn next(&mut self) {
            first(self.interrupt.recv(), self.terminate.recv()).await;
        }

        #[cfg(not(unix))]
        async fn next(&mut self) {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Runs a future to completion on a small runtime; for tests and plain `main`s.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime can always be built")
        .block_on(future)
}
