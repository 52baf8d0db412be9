//! Property tests of editing `src/conf.rs` (written by a helper).
