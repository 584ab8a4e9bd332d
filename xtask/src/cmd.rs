//! Running commands: each prints what it runs, and a failure says which command failed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The repository root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

/// Prints a step heading.
pub fn step(what: &str) {
    println!("\n==> {what}");
}

/// Describes a command as a shell line, for messages.
pub fn describe(cmd: &Command) -> String {
    let mut line = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Runs a command with inherited output; an error names the command and its exit status.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    let line = describe(cmd);
    println!("$ {line}");
    if let Some(dir) = scratch() {
        cmd.env("TMPDIR", dir);
    }
    let status = cmd
        .current_dir_if_unset()
        .status()
        .map_err(|e| format!("could not start `{line}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{line}` failed ({status})"))
    }
}

/// Runs a command quietly and returns its trimmed stdout, or `None` if it could not run or failed.
pub fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// This run's temporary directory, `$TMPDIR/convscope-xtask-<pid>` (outside the repository:
/// Node would read scripts written under its `package.json` as ES modules), given to every
/// command as `TMPDIR`. Chromium (under chromedriver and under Playwright) leaves an 80 MB
/// `org.chromium.Chromium.scoped_dir.*` in `TMPDIR` per launch that it never removes; a test
/// run launches dozens, which filled the disk of a machine that runs CI often.
/// [`remove_scratch`] deletes the directory when the command ends, and the next run deletes
/// those of runs that were killed. `None` when it cannot be created (the commands then use
/// the system's temporary directory).
fn scratch() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let parent = std::env::temp_dir();
        remove_stale(&parent);
        let dir = scratch_path(&parent, std::process::id());
        std::fs::create_dir_all(&dir).ok().map(|()| dir)
    })
    .as_deref()
}

const SCRATCH_PREFIX: &str = "convscope-xtask-";

fn scratch_path(parent: &Path, pid: u32) -> PathBuf {
    parent.join(format!("{SCRATCH_PREFIX}{pid}"))
}

/// Removes the directories of earlier runs whose process is gone.
fn remove_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(SCRATCH_PREFIX))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Deletes this run's temporary directory (see [`scratch`]), if one was made.
pub fn remove_scratch() {
    let _ = std::fs::remove_dir_all(scratch_path(&std::env::temp_dir(), std::process::id()));
}

trait CurrentDir {
    fn current_dir_if_unset(&mut self) -> &mut Self;
}

impl CurrentDir for Command {
    fn current_dir_if_unset(&mut self) -> &mut Self {
        if self.get_current_dir().is_none() {
            self.current_dir(root());
        }
        self
    }
}
