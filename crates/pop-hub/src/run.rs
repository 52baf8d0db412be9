//! Loading the configuration and running the hub until shutdown.

use std::ffi::OsString;
use std::future::Future;
use std::sync::Arc;

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
        self.opt_sources = loaded.sources;
        self.subcommand = loaded.subcommand;
        if let Some(app) = self.app() {
            let app = &self.opt[app.name];
            crate::log::start(
                app["log_level"].as_str().unwrap_or("info"),
                app["log_file"].as_str(),
            )?;
        }
        Ok(())
    }

    /// Runs the hub: starts the `run` hook of every added sub (a router
    /// serves here) on a multi-threaded runtime, and returns when all have
    /// finished. Ctrl-C or SIGTERM asks them to stop; a hook's error stops the
    /// others and is returned. With no run hooks it returns at once.
    pub fn run(self) -> crate::Result<()> {
        let mut hub = self;
        hub.start()?;
        let hooks = hub.take_run_hooks();
        if hooks.is_empty() {
            return Ok(());
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let result = runtime.block_on(run_hooks(Arc::new(hub), hooks));
        crate::log::flush();
        result
    }
}

async fn run_hooks(hub: Arc<Hub>, hooks: Vec<crate::registry::RunHook>) -> crate::Result<()> {
    let signals = tokio::spawn(stop_on_signal(hub.clone()));
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
    signals.abort();
    first_error.map_or(Ok(()), Err)
}

/// Asks the hub to shut down on the first Ctrl-C or SIGTERM, and exits at
/// once (status 130) on a second one, for a run hook that does not stop.
async fn stop_on_signal(hub: Arc<Hub>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut interrupt), Ok(mut terminate)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        // Whichever comes first.
        async fn either(a: &mut tokio::signal::unix::Signal, b: &mut tokio::signal::unix::Signal) {
            std::future::poll_fn(|cx| match a.poll_recv(cx) {
                std::task::Poll::Ready(_) => std::task::Poll::Ready(()),
                std::task::Poll::Pending => b.poll_recv(cx).map(|_| ()),
            })
            .await;
        }
        either(&mut interrupt, &mut terminate).await;
        tracing::info!("shutting down (a second Ctrl-C stops at once)");
        hub.request_shutdown();
        either(&mut interrupt, &mut terminate).await;
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        tracing::info!("shutting down (a second Ctrl-C stops at once)");
        hub.request_shutdown();
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
    }
    tracing::warn!("stopping now, without waiting for the run hooks");
    crate::log::flush();
    std::process::exit(130);
}

/// Runs a future to completion on a small runtime; for tests and plain `main`s.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime can always be built")
        .block_on(future)
}
