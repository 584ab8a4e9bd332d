//! Writing to stdout without panicking when the reader has gone away.
//!
//! `println!` panics when stdout is a closed pipe (`convscope arch resnet152 | head -1`:
//! Rust ignores SIGPIPE, so the write fails with `EPIPE`). [`write()`] goes through a locked
//! stdout instead and treats [`ErrorKind::BrokenPipe`] as "nobody is listening any more":
//! the process exits quietly with status 0, as `cat` or `grep` would. Any other write error
//! is reported on stderr with status 1.

use std::fmt;
use std::io::{self, ErrorKind, Write};

/// Writes `args` to stdout; exits quietly (0) on a broken pipe, with 1 on another error.
pub fn write(args: fmt::Arguments<'_>) {
    let mut stdout = io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args) {
        if e.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        drop(stdout);
        eprintln!("error: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}
