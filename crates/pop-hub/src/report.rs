//! Turning the outcome of start-up into output and an exit code.

use std::process::ExitCode;

use crate::conf::ConfigError;

/// Ends `main`: prints an error as one `error: …` line (with its causes) and
/// returns the exit code: 2 for bad configuration or usage, 1 for any other
/// failure, 0 on success and for `--help` / `--version`, whose text goes to
/// stdout.
///
/// ```no_run
/// # extern crate pop_hub as pop;
/// fn main() -> std::process::ExitCode {
///     pop::report(run())
/// }
/// # fn run() -> pop::Result<()> { Ok(()) }
/// ```
pub fn report(result: crate::Result<()>) -> ExitCode {
    crate::log::flush();
    let Err(err) = result else {
        return ExitCode::SUCCESS;
    };
    match err.downcast_ref::<ConfigError>() {
        Some(ConfigError::Exit(text)) => {
            println!("{}", text.trim_end());
            ExitCode::SUCCESS
        }
        // clap's usage errors already start with `error:` and end with a hint.
        Some(ConfigError::Usage(text)) => {
            eprintln!("{}", text.trim_end());
            ExitCode::from(2)
        }
        Some(config) => {
            eprintln!("error: {config}");
            ExitCode::from(config.exit_code())
        }
        None => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
