//! The commands: build, serve, test, screenshot, bench-wasm.

use std::ffi::OsString;
use std::process::Command;
use std::time::Instant;

use crate::cmd::{self, run, step};
use crate::data;
use crate::headers;
use crate::server::{self, Site};
use crate::setup::{self, CHROMEDRIVER, CHROMIUM, Tools};

/// `PATH` with cargo's bin directory and npm's `node_modules/.bin` first, so Trunk finds the
/// pinned `wasm-bindgen` and `wasm-opt`.
fn path_with(tools: &Tools) -> OsString {
    let mut paths = vec![
        tools.cargo_bin.clone(),
        cmd::root().join("node_modules/.bin"),
    ];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(paths).unwrap_or_default()
}

/// The environment of the release app's build: its wasm compiles its own `std`
/// (`-Zbuild-std`, the source from [`setup`]'s `rust-src`) with panics that trap at once
/// (`-Cpanic=immediate-abort`) instead of formatting a message first. On
/// `wasm32-unknown-unknown` that message went nowhere (no panic hook; std's stderr there is a
/// no-op) and a panic traps either way, as `panic = "abort"` did, so nothing a visitor or a
/// test sees changes; the formatting, the source locations and each bounds check's call
/// left the app's wasm 40 KB smaller gzipped (README, "Build profile"). Both flags are
/// unstable: `RUSTC_BOOTSTRAP=1` lets the installed stable toolchain take them, for this
/// build only (the tests, the CLI and `cargo build` are untouched).
pub const RELEASE_STD: [(&str, &str); 3] = [
    ("RUSTC_BOOTSTRAP", "1"),
    ("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort"),
    (
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
        "-C target-feature=+simd128 -Z unstable-options -C panic=immediate-abort",
    ),
];

/// Builds the release app into `dist/` with Trunk, offline, checks what the security
/// headers rely on (`headers::seal_workers` writes the workers' digests; `headers::check_dist`:
/// the current `_headers`, no inline script, an integrity on every script and worker), then writes the datasets for the browser into `dist/data/`
/// (Trunk replaces `dist/` on every build).
pub fn build(tools: &Tools) -> Result<(), String> {
    step("build the release app (trunk build --release --offline)");
    run(Command::new(&tools.trunk)
        .args(["build", "--release", "--offline"])
        .envs(RELEASE_STD)
        .env("PATH", path_with(tools)))
    .map_err(|e| {
        format!("{e}\n  Trunk could not build the app; the compiler's messages above say why")
    })?;
    let dist = cmd::root().join("dist");
    let index = std::fs::read_to_string(cmd::root().join("index.html"))
        .map_err(|e| format!("cannot read index.html: {e}"))?;
    headers::seal_workers(&dist, &index)?;
    headers::check_dist(&dist, &index)?;
    println!(
        "dist/ holds the current _headers, no inline script, an integrity on every script and worker"
    );
    data::write_dist(&dist, data::Options::default())
}

/// Installs, builds, and serves `dist/` on `127.0.0.1:port` until interrupted.
pub fn serve(port: u16) -> Result<(), String> {
    let tools = setup::all()?;
    build(&tools)?;
    let bound = server::spawn(cmd::root().join("dist"), port, Site::App)?;
    step(&format!(
        "serving dist/ on http://127.0.0.1:{bound}  (Ctrl-C stops)"
    ));
    loop {
        std::thread::park();
    }
}

const WASM32: &str = "wasm32-unknown-unknown";
const CLIPPY_DRIVER: &str = "clippy-driver";

/// Clippy as the compiler of the workspace's own crates, with `-D warnings`: `cargo clippy`
/// is this same wrapper around `cargo check`. The test builds are linted as they compile, so
/// each target's dependencies are compiled once (to run) instead of once more (to check).
/// Dependencies are compiled by plain rustc either way.
fn linted(command: &mut Command) -> &mut Command {
    command
        .env("RUSTC_WORKSPACE_WRAPPER", CLIPPY_DRIVER)
        .env("CLIPPY_ARGS", "-D__CLIPPY_HACKERY__warnings")
}

/// The web crate's tests that run in headless Chromium: every file of `crates/web/tests/`
/// (a unit test checks that none is left out).
const WEB_BROWSER_TESTS: [&str; 6] = [
    "storage",
    "storage_worker",
    "url",
    "after_paint",
    "committed",
    "model_loads",
];

/// `cargo test --target wasm32-unknown-unknown ARGS`, linted, run in headless Chromium by
/// the pinned `wasm-bindgen-test-runner`.
fn wasm_tests(tools: &Tools, args: &[&str]) -> Command {
    let mut command = Command::new("cargo");
    linted(&mut command)
        .args(["test", "--target", WASM32])
        .args(args)
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            &tools.wasm_bindgen_test_runner,
        )
        .env("CHROMEDRIVER", CHROMEDRIVER)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "300");
    command
}

struct Outcome {
    name: &'static str,
    result: Result<(), String>,
    seconds: f64,
}

/// Installs what is missing, then runs every check; exits non-zero on any failure.
pub fn test() -> Result<(), String> {
    let started = Instant::now();
    let tools = setup::all()?;
    step("clippy (every build of the workspace's crates is linted)");
    let clippy = cmd::output(CLIPPY_DRIVER, &["--version"]).ok_or_else(|| {
        format!("`{CLIPPY_DRIVER} --version` did not run: add clippy to this toolchain (`rustup component add clippy`)")
    })?;
    println!("{clippy}");
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut check = |name: &'static str, f: &mut dyn FnMut() -> Result<(), String>| {
        step(name);
        let t = Instant::now();
        let result = f();
        if let Err(e) = &result {
            eprintln!("FAILED: {name}: {e}");
        }
        let ok = result.is_ok();
        outcomes.push(Outcome {
            name,
            result,
            seconds: t.elapsed().as_secs_f64(),
        });
        ok
    };

    check("format (cargo fmt --check)", &mut || {
        run(Command::new("cargo").args(["fmt", "--all", "--check"]))
    });
    check(
        "native: clippy -D warnings and tests (cargo test --workspace)",
        &mut || {
            run(linted(&mut Command::new("cargo")).args(["test", "--workspace"]))?;
            // Benchmarks are not part of `cargo test`: compiled (and so linted), not run.
            run(linted(&mut Command::new("cargo")).args([
                "test",
                "--workspace",
                "--benches",
                "--no-run",
            ]))
        },
    );
    check(
        "wasm32: clippy -D warnings and the core's tests in headless Chromium",
        &mut || {
            run(&mut wasm_tests(&tools, &["-p", "convscope-core"]))?;
            // The wasm benchmark (`cargo xtask bench-wasm`) is compiled, not run.
            run(linted(&mut Command::new("cargo")).args([
                "test",
                "-p",
                "convscope-core",
                "--target",
                WASM32,
                "--test",
                "wasm_bench",
                "--no-run",
            ]))
        },
    );
    check(
        "wasm32: clippy -D warnings and the web crate's storage, URL, frame, canvas-draw and model-load tests in headless Chromium (window and worker)",
        &mut || {
            let mut args = vec!["-p", "convscope-web"];
            for test in WEB_BROWSER_TESTS {
                args.extend(["--test", test]);
            }
            run(&mut wasm_tests(&tools, &args))?;
            // The rest of what runs in the browser, compiled for wasm32 (and so linted):
            // the web crate's unit tests and its binaries (the app and its workers, built
            // for real by Trunk below), the benchmark page's crate.
            run(linted(&mut Command::new("cargo")).args([
                "test",
                "-p",
                "convscope-web",
                "-p",
                "convscope-bench",
                "--target",
                WASM32,
                "--lib",
                "--bins",
                "--no-run",
            ]))
        },
    );
    let built = check(
        "release build (trunk build --release --offline)",
        &mut || build(&tools),
    );
    check(
        "end-to-end tests (playwright-core, node --test)",
        &mut || {
            if !built {
                return Err("skipped: the release build failed".to_owned());
            }
            // The hostile-file corpus that tests/e2e/hostile.test.mjs uploads.
            let hostile = cmd::root().join("target/hostile");
            run(Command::new("cargo")
                .args(["run", "-q", "-p", "convscope-hostile", "--"])
                .arg(&hostile))?;
            let port = server::spawn(cmd::root().join("dist"), 0, Site::App)?;
            run(Command::new("node")
                .args([
                    "--test",
                    "--test-concurrency=1",
                    "tests/e2e/",
                    "bench/onnx.test.mjs",
                ])
                .env("BASE_URL", format!("http://127.0.0.1:{port}/"))
                .env("CHROMIUM", CHROMIUM)
                .env("HOSTILE_DIR", &hostile))
        },
    );

    println!("\n==> summary");
    for o in &outcomes {
        let mark = if o.result.is_ok() { "ok    " } else { "FAILED" };
        println!("{mark} {:>7.1}s  {}", o.seconds, o.name);
    }
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.result.is_err())
        .map(|o| o.name)
        .collect();
    println!(
        "{} of {} checks passed in {:.0}s",
        outcomes.len() - failed.len(),
        outcomes.len(),
        started.elapsed().as_secs_f64()
    );
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("failed: {}", failed.join("; ")))
    }
}

/// Builds, serves on a free port, and writes the README's screenshots into `docs/`.
pub fn screenshot() -> Result<(), String> {
    let tools = setup::all()?;
    build(&tools)?;
    let port = server::spawn(cmd::root().join("dist"), 0, Site::App)?;
    step("screenshots (tests/e2e/screenshot.mjs)");
    run(Command::new("node")
        .arg("tests/e2e/screenshot.mjs")
        .env("BASE_URL", format!("http://127.0.0.1:{port}/"))
        .env("CHROMIUM", CHROMIUM)
        .env("OUT_DIR", cmd::root().join("docs")))
}

/// Times the core's kernels compiled to wasm in headless Chromium (release, simd128).
pub fn bench_wasm() -> Result<(), String> {
    let tools = setup::all()?;
    step("wasm benchmarks in headless Chromium");
    run(Command::new("cargo")
        .args([
            "test",
            "--release",
            "-p",
            "convscope-core",
            "--target",
            "wasm32-unknown-unknown",
            "--test",
            "wasm_bench",
            "--",
            "--include-ignored",
            "--nocapture",
        ])
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            &tools.wasm_bindgen_test_runner,
        )
        .env("CHROMEDRIVER", CHROMEDRIVER)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "600"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::WEB_BROWSER_TESTS;

    #[test]
    fn every_browser_test_of_the_web_crate_is_run() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/web/tests");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                name.strip_suffix(".rs").map(str::to_owned)
            })
            .collect();
        files.sort();
        let mut listed: Vec<String> = WEB_BROWSER_TESTS.iter().map(|t| t.to_string()).collect();
        listed.sort();
        assert_eq!(
            files, listed,
            "crates/web/tests/ and WEB_BROWSER_TESTS (xtask/src/tasks.rs) differ"
        );
    }
}
