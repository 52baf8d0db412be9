//! pop-create: create, grow and run Plugin Oriented Programming projects in Rust.

fn main() -> std::process::ExitCode {
    pop_create::run(std::env::args_os().collect())
}
