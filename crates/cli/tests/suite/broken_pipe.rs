//! A closed stdout (`convscope arch resnet152 | head -1`) must not make the CLI panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

#[test]
fn closed_stdout_is_not_a_panic() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_convscope"))
        .args(["arch", "resnet152", "--json"]) // ~260 KB, more than a pipe buffer
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn convscope");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the first line");
    assert!(!line.is_empty(), "convscope printed nothing");
    // The reader (and with it the pipe) is dropped here: later writes fail with EPIPE.
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    let status = child.wait().expect("wait for convscope");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
    assert_ne!(status.code(), Some(101), "stderr: {stderr}");
    assert!(status.success(), "status {status:?}, stderr: {stderr}");
}
