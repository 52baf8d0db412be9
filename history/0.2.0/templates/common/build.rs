//! Finds the subs and plugins named by the DYNE map in src/conf.rs: keeps
//! src/subs.rs up to date and generates their registration, so a new file
//! in a sub's directory is picked up on the next build.

fn main() {
    pop_build::generate();
}
