//! Helpers for unit tests.

/// Asserts that rustfmt (edition 2024, default options) leaves `text` as it is.
pub fn assert_rustfmt_clean(what: &str, text: &[u8]) {
    use std::io::Write;
    let mut child = std::process::Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("rustfmt is installed");
    child.stdin.take().unwrap().write_all(text).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "rustfmt failed on {what}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let formatted = String::from_utf8_lossy(&output.stdout);
    let original = String::from_utf8_lossy(text);
    if formatted != original {
        let first = formatted
            .lines()
            .zip(original.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        let context = |s: &str| {
            s.lines()
                .skip(first.saturating_sub(2))
                .take(8)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "{what} is not rustfmt-clean near line {}:\n--- written\n{}\n--- rustfmt\n{}",
            first + 1,
            context(&original),
            context(&formatted)
        );
    }
}
