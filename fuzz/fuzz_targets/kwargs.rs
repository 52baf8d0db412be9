//! Binding JSON kwargs to a plugin's parameters, through `hub.call` and as
//! a router binds them: the input is `REFERENCE\nKWARGS` (see
//! `harness/kwargs.rs` for the hub and the rules each outcome is held to).
#![no_main]

use libfuzzer_sys::fuzz_target;

// The harness's plugins are registered by hand: none has contracts.
pop::no_sites!();

#[path = "../harness/kwargs.rs"]
mod kwargs;

fuzz_target!(|data: &[u8]| kwargs::check(data));
