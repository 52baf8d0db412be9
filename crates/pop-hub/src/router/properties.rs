//! Property tests of the router's request parsing (written by a helper).
