//! The router's reading of a request body: any bytes (see
//! `harness/router.rs` for what each outcome is held to).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness/router.rs"]
mod router;

fuzz_target!(|body: &[u8]| router::check(body));
