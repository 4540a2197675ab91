//! What the CLI tests share: running the real `moatctl` binary with arguments and optional stdin.

#![allow(dead_code)] // Each test file uses the part it needs.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `moatctl` with `args`, feeding `stdin` when given (else stdin is empty), and waits for it.
pub fn moatctl(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_moatctl"))
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("moatctl runs");
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A command refused for its arguments exits without reading stdin: a broken pipe is its answer.
        if let Err(e) = pipe.write_all(text.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "stdin: {e}");
        }
    }
    child.wait_with_output().expect("moatctl exits")
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
