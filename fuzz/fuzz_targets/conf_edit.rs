//! `src/conf.rs` as a user may have written it, edited as `add-sub` and
//! `remove-sub` edit it. The input's first line is `SUB WHICH`, the rest the
//! file (see `pop_create::fuzzing::conf_edit`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(input) = std::str::from_utf8(data) {
        pop_create::fuzzing::conf_edit_input(input);
    }
});
