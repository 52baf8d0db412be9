//! `.pop-create.toml` as a cloned repository may hold it: any text is
//! refused in one line or read, rendered and read back to the same record.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // pop-create reads the record as UTF-8 text; other bytes never reach the parser.
    if let Ok(text) = std::str::from_utf8(data) {
        pop_create::fuzzing::record(text);
    }
});
