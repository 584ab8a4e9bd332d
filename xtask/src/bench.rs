//! `cargo xtask bench`: LeNet-5 in convscope beside the engines a user would pick instead —
//! natively against PyTorch, in Chromium against TensorFlow.js and ONNX Runtime Web — with
//! the same seeded weights, in one run on one machine. Prints a table, writes
//! `bench/results.json` and `BENCHMARKS.md`. Asserts nothing about speed; it stops only when
//! an engine's logits differ from convscope's (each engine checks them before timing).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::{Value, json};

use crate::cmd::{self, output, run, step};
use crate::server::{self, Site};
use crate::setup::{self, CHROMIUM};

/// Where `--with-torch` creates its venv, and where the bench looks for one.
fn torch_venv() -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".cache/convscope/torch-venv")
}

/// Options of `cargo xtask bench`.
#[derive(Debug, Default)]
pub struct Options {
    /// Create a venv and pip-install PyTorch when no Python with torch is found.
    pub with_torch: bool,
    /// Shorter runs (for trying the harness; the figures are noisier, so they are written
    /// to `target/bench/`, not to `BENCHMARKS.md`).
    pub quick: bool,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut o = Self::default();
        for a in args {
            match a.as_str() {
                "--with-torch" => o.with_torch = true,
                "--quick" => o.quick = true,
                other => {
                    return Err(format!(
                        "bench takes `--with-torch` and `--quick`, got `{other}`"
                    ));
                }
            }
        }
        Ok(o)
    }
}

/// Runs the whole benchmark.
pub fn bench(options: &Options) -> Result<(), String> {
    let started = Instant::now();
    let tools = setup::all()?;
    let root = cmd::root();
    let work = root.join("target/bench");
    std::fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let seconds = if options.quick { "1" } else { "3" };
    let runs = if options.quick { "500" } else { "1000" };

    step("native: convscope (release CLI) and PyTorch (bench/torch_lenet.py), 1 and 2 threads");
    run(Command::new("cargo").args(["build", "--release", "-p", "convscope-cli"]))?;
    let fixture = work.join("fixture.safetensors");
    let torch = torch_python(options.with_torch)?;
    let mut convscope_native = Vec::new();
    let mut pytorch = Vec::new();
    for threads in ["1", "2"] {
        let out = work.join(format!("convscope-{threads}.json"));
        run(Command::new(root.join("target/release/convscope"))
            .args([
                "bench",
                "--threads",
                threads,
                "--runs",
                "2000",
                "--seconds",
                seconds,
            ])
            .arg("--export")
            .arg(&fixture)
            .arg("--json")
            .arg(&out))?;
        convscope_native.push(read_json(&out)?);
        if let Torch::Found { python, install } = &torch {
            let out = work.join(format!("pytorch-{threads}.json"));
            run(Command::new(python)
                .args(["bench/torch_lenet.py", "--data"])
                .arg(&fixture)
                .args(["--threads", threads, "--runs", runs, "--seconds", seconds])
                .arg("--json")
                .arg(&out))
            .map_err(|e| {
                format!("{e}\n  (exit status 2 means PyTorch's logits differ from convscope's)")
            })?;
            let mut v = read_json(&out)?;
            if let Some(s) = install {
                v["install_seconds"] = json!(s);
            }
            pytorch.push(v);
        }
    }
    if let Torch::Missing(why) = &torch {
        println!("{why}");
    }

    step("browser: the benchmark page (convscope wasm, TF.js, ONNX Runtime Web)");
    let site = build_site(&tools.cargo_bin, &work)?;
    let port = server::spawn(site, 0, Site::Bench)?;
    let browser_json = work.join("browser.json");
    let query = format!("runs={runs}&seconds={seconds}");
    run(Command::new("node")
        .args(["bench/run.mjs", &query])
        .env("BASE_URL", format!("http://127.0.0.1:{port}/"))
        .env("CHROMIUM", CHROMIUM)
        .env("OUT", &browser_json))?;
    let browser = read_json(&browser_json)?;

    step("first visit: the release app (Trunk) in fresh Chromium profiles");
    crate::tasks::build(&tools)?;
    let dist = root.join("dist");
    let size = wasm_sizes(&dist)?;
    let port = server::spawn(dist, 0, Site::App)?;
    let first_json = work.join("first-visit.json");
    run(Command::new("node")
        .arg("bench/first-visit.mjs")
        .env("BASE_URL", format!("http://127.0.0.1:{port}/"))
        .env("CHROMIUM", CHROMIUM)
        // Nine visits: the first forward pass races V8's optimising compiler on two cores, and
        // one visit in six or seven loses by 5–25× (`agent::classify::warm_up`); a median of
        // five moved with one or two of them.
        .env("TRIALS", if options.quick { "2" } else { "9" })
        .env("OUT", &first_json))?;
    let first_visit = read_json(&first_json)?;

    step("training in the Train page's worker (same app) and natively (convscope train)");
    let worker_json = work.join("train-worker.json");
    run(Command::new("node")
        .arg("bench/train-worker.mjs")
        .env("BASE_URL", format!("http://127.0.0.1:{port}/"))
        .env("CHROMIUM", CHROMIUM)
        .env("OUT", &worker_json))?;
    let mut train_worker = read_json(&worker_json)?;
    native_training(&root, &mut train_worker)?;

    let results = json!({
        "date": output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        "machine": convscope_native[0]["machine"],
        "rustc": output("rustc", &["--version"]),
        "native": { "convscope": convscope_native, "pytorch": pytorch,
                    "pytorch_missing": match &torch { Torch::Missing(w) => Some(w.clone()), Torch::Found { .. } => None } },
        "browser": browser,
        "first_visit": first_visit,
        "train_worker": train_worker,
        "size": size,
        "seconds": started.elapsed().as_secs_f64(),
    });
    // A quick run's noisier figures stay in target/bench; a full run updates the repository's.
    let (results_path, md) = if options.quick {
        (work.join("results.json"), work.join("BENCHMARKS.md"))
    } else {
        (root.join("bench/results.json"), root.join("BENCHMARKS.md"))
    };
    let text = serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?;
    std::fs::write(&results_path, text + "\n")
        .map_err(|e| format!("cannot write {}: {e}", results_path.display()))?;
    let table = table(&results);
    step("results");
    println!("{table}");
    // The runs before this one stay, below it (the last one moved there with its date).
    let earlier = std::fs::read_to_string(&md)
        .map(|old| earlier_runs(&old))
        .unwrap_or_default();
    std::fs::write(&md, benchmarks_md(&results, &table, &earlier))
        .map_err(|e| format!("cannot write {}: {e}", md.display()))?;
    println!(
        "wrote {} and {} in {:.0} s",
        results_path.display(),
        md.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))
}

enum Torch {
    Found {
        python: PathBuf,
        /// Seconds `--with-torch` spent creating the venv and installing, this run.
        install: Option<f64>,
    },
    Missing(String),
}

fn has_torch(python: &Path) -> bool {
    python
        .to_str()
        .and_then(|p| output(p, &["-c", "import torch"]))
        .is_some()
}

/// A Python that imports torch: the bench's venv, then `python3`; with `--with-torch`,
/// creates the venv and pip-installs torch from PyPI (several GB: CUDA libraries come along).
fn torch_python(install: bool) -> Result<Torch, String> {
    let venv = torch_venv();
    let venv_python = venv.join("bin/python");
    if has_torch(&venv_python) {
        return Ok(Torch::Found {
            python: venv_python,
            install: None,
        });
    }
    if has_torch(Path::new("python3")) {
        return Ok(Torch::Found {
            python: PathBuf::from("python3"),
            install: None,
        });
    }
    if !install {
        return Ok(Torch::Missing(format!(
            "PyTorch not installed (neither {} nor python3 imports torch); `cargo xtask bench --with-torch` installs it into that venv",
            venv_python.display()
        )));
    }
    println!(
        "installing PyTorch into {} (pip, from PyPI; about 3 GB)",
        venv.display()
    );
    let t = Instant::now();
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    run(Command::new(venv.join("bin/pip")).args(["install", "--quiet", "torch"]))
        .map_err(|e| format!("{e}\n  pip could not install torch from PyPI"))?;
    let seconds = t.elapsed().as_secs_f64();
    println!("PyTorch installed in {seconds:.0} s");
    Ok(Torch::Found {
        python: venv_python,
        install: Some(seconds),
    })
}

/// The same training natively for each preset the worker trained: release `convscope train`
/// on one thread, same data, epochs, batch and optimizer; each epoch's images/s from its log
/// line (`… | 3.3 s, 2422 img/s, lr …`) goes into the preset's `native_images_per_s`.
fn native_training(root: &Path, worker: &mut Value) -> Result<(), String> {
    let epochs = worker["epochs"].as_u64().unwrap_or(2).to_string();
    for preset in worker["presets"].as_array_mut().into_iter().flatten() {
        let network = preset["network"].as_str().unwrap_or_default().to_owned();
        let out = Command::new(root.join("target/release/convscope"))
            .args([
                "train",
                "--dataset",
                "mnist",
                "--epochs",
                &epochs,
                "--batch",
                "64",
            ])
            .args([
                "--lr",
                "0.001",
                "--optimizer",
                "adam",
                "--threads",
                "1",
                "--seed",
                "0",
            ])
            .arg("--net")
            .arg(&network)
            .arg("--out")
            .arg(std::env::temp_dir().join("convscope-bench-train.safetensors"))
            .output()
            .map_err(|e| format!("cannot run convscope train: {e}"))?;
        // The epochs' lines go to stderr (stdout has the result line).
        let log = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            return Err(format!("convscope train --net '{network}' failed: {log}"));
        }
        let rates: Vec<f64> = log
            .lines()
            .filter(|l| l.starts_with("epoch "))
            .filter_map(|l| {
                let before = &l[..l.find(" img/s")?];
                before.rsplit([' ', ',']).next()?.parse().ok()
            })
            .collect();
        if rates.is_empty() {
            return Err(format!(
                "convscope train --net '{network}' printed no epoch line with images/s:\n{log}"
            ));
        }
        println!("native convscope train: {network}: {rates:?} images/s");
        preset["native_images_per_s"] = json!(rates);
    }
    Ok(())
}

/// Builds the wasm binding and assembles the page: `target/bench/site/` with the page, the
/// ONNX writer, wasm-bindgen's output in `pkg/`, and a link to `node_modules/` (the peers'
/// scripts and `.wasm` files are served from there, never fetched from elsewhere).
fn build_site(cargo_bin: &Path, work: &Path) -> Result<PathBuf, String> {
    let root = cmd::root();
    run(Command::new("cargo").args([
        "build",
        "--release",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "convscope-bench",
        "--lib",
    ]))?;
    let site = work.join("site");
    let _ = std::fs::remove_dir_all(&site);
    std::fs::create_dir_all(&site).map_err(|e| format!("cannot create {}: {e}", site.display()))?;
    run(Command::new(cargo_bin.join("wasm-bindgen"))
        .args(["--target", "web", "--out-dir"])
        .arg(site.join("pkg"))
        .arg(root.join("target/wasm32-unknown-unknown/release/convscope_bench.wasm")))?;
    // Optimised as the app is: the same wasm-opt level and flags as index.html gives Trunk.
    let wasm = site.join("pkg/convscope_bench_bg.wasm");
    let (level, params) = wasm_opt_settings()?;
    run(Command::new(setup::wasm_opt())
        .arg(format!("-O{level}"))
        .args(params.split_whitespace())
        .arg(&wasm)
        .arg("-o")
        .arg(&wasm))?;
    for (from, to) in [
        ("bench/page/index.html", "index.html"),
        ("bench/page/bench.mjs", "bench.mjs"),
        ("bench/onnx.mjs", "onnx.mjs"),
    ] {
        std::fs::copy(root.join(from), site.join(to))
            .map_err(|e| format!("cannot copy {from}: {e}"))?;
    }
    std::os::unix::fs::symlink(root.join("node_modules"), site.join("node_modules"))
        .map_err(|e| format!("cannot link node_modules into {}: {e}", site.display()))?;
    Ok(site)
}

/// Raw and `gzip -9` sizes of the app's `.wasm` files in `dist`.
fn wasm_sizes(dist: &Path) -> Result<Value, String> {
    let entries =
        std::fs::read_dir(dist).map_err(|e| format!("cannot read {}: {e}", dist.display()))?;
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "wasm") {
            let raw = std::fs::metadata(&path).map_or(0, |m| m.len());
            let gz = Command::new("gzip")
                .args(["-9", "-c"])
                .arg(&path)
                .output()
                .map_err(|e| format!("cannot run gzip: {e}"))?
                .stdout
                .len();
            files.push(json!({
                "file": entry.file_name().to_string_lossy(),
                "bytes": raw,
                "gzip_bytes": gz,
            }));
        }
    }
    files.sort_by(|a, b| a["file"].as_str().cmp(&b["file"].as_str()));
    let total: u64 = files.iter().filter_map(|f| f["gzip_bytes"].as_u64()).sum();
    Ok(json!({ "wasm": files, "gzip_total_bytes": total }))
}

/// The app's `data-wasm-opt` level and `data-wasm-opt-params` from `index.html`.
fn wasm_opt_settings() -> Result<(String, String), String> {
    let path = cmd::root().join("index.html");
    let html = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let attr = |name: &str| {
        let start = html.find(&format!("{name}=\""))? + name.len() + 2;
        let len = html[start..].find('"')?;
        Some(html[start..start + len].to_owned())
    };
    match (attr("data-wasm-opt"), attr("data-wasm-opt-params")) {
        (Some(level), Some(params)) => Ok((level, params)),
        _ => Err(format!(
            "{} has no data-wasm-opt / data-wasm-opt-params on its rust links",
            path.display()
        )),
    }
}

// --- the table ---------------------------------------------------------------------------

fn num(v: &Value, path: &[&str]) -> Option<f64> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_f64()
}

/// `ours / theirs` as "n.n×" where larger is better for convscope.
fn ratio(speed_ours: Option<f64>, speed_theirs: Option<f64>) -> String {
    match (speed_ours, speed_theirs) {
        (Some(a), Some(b)) if b > 0.0 => format!("**{:.2}×**", a / b),
        _ => "–".to_owned(),
    }
}

fn latency_cell(e: &Value) -> Option<String> {
    Some(format!(
        "{:.1} µs (p90 {:.1}, mean {:.1})",
        num(e, &["infer1", "median_us"])?,
        num(e, &["infer1", "p90_us"])?,
        num(e, &["infer1", "mean_us"])?
    ))
}

fn rate_cell(e: &Value, key: &str) -> String {
    match num(e, &[key, "images_per_s"]) {
        Some(r) => format!("{} images/s", thousands(r)),
        None => e
            .get(key)
            .and_then(|v| v.get("unsupported"))
            .and_then(Value::as_str)
            .map_or_else(|| "–".to_owned(), |w| format!("cannot: {w}")),
    }
}

/// A non-negative figure rounded to an integer, with thousands separated by commas.
fn thousands(x: f64) -> String {
    convscope_core::format::thousands(x.round().max(0.0) as u64)
}

/// Speeds (higher is better) of an engine's three figures: 1/latency, images/s, images/s.
fn speeds(e: &Value) -> [Option<f64>; 3] {
    [
        num(e, &["infer1", "median_us"]).map(|us| 1.0 / us),
        num(e, &["infer_batch", "images_per_s"]),
        num(e, &["train64", "images_per_s"]),
    ]
}

/// One engine's cell for figure `i` (0 one image, 1 batch inference, 2 training).
fn cell(e: &Value, i: usize) -> String {
    match i {
        0 => latency_cell(e).unwrap_or_else(|| "–".into()),
        1 => rate_cell(e, "infer_batch"),
        _ => rate_cell(e, "train64"),
    }
}

/// A Markdown table: convscope's column, then each peer's figure and ratio; a peer that
/// could not run at all is one column saying why.
fn section(ours: &Value, peers: &[(String, Value)], missing: Option<&str>, batch: u64) -> String {
    let mut s = String::from("| figure | convscope |");
    let mut rule = String::from("|---|---|");
    for (name, _) in peers {
        s += &format!(" {name} | ratio |");
        rule += "---|---|";
    }
    if missing.is_some() {
        s += " peer |";
        rule += "---|";
    }
    s += "\n";
    s += &rule;
    s += "\n";
    let labels = [
        "one image (median)".to_owned(),
        format!("batch inference, batch {batch}"),
        "training, batch 64, Adam".to_owned(),
    ];
    let ours_speed = speeds(ours);
    for (i, label) in labels.iter().enumerate() {
        s += &format!("| {label} | {} |", cell(ours, i));
        for (_, p) in peers {
            s += &format!(" {} | {} |", cell(p, i), ratio(ours_speed[i], speeds(p)[i]));
        }
        if let Some(why) = missing {
            s += &format!(" {why} |");
        }
        s += "\n";
    }
    s
}

/// Markdown: one table for the browser, one natively; every peer cell with its ratio.
pub fn table(r: &Value) -> String {
    let machine = &r["machine"];
    let mut s = format!(
        "Machine: {} ({} threads; SIMD {}; convscope's native GEMM {}). {}\n\n",
        machine["cpu"].as_str().unwrap_or("?"),
        machine["threads"],
        machine["simd"].as_str().unwrap_or("?"),
        machine["gemm_simd"].as_str().unwrap_or("?"),
        r["date"].as_str().unwrap_or("")
    );
    let engines = r["browser"]["engines"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let batch = r["browser"]["config"]["batch"].as_u64().unwrap_or(256);
    if let Some(ours) = engines.iter().find(|e| e["id"] == "convscope") {
        s += &format!(
            "**In Chromium {}** (one page, one run; ratio = convscope's speed ÷ the peer's: above 1, convscope is faster)\n\n",
            r["browser"]["chromium"].as_str().unwrap_or("?")
        );
        let peers: Vec<(String, Value)> = engines
            .iter()
            .filter(|e| e["id"] != "convscope")
            .map(|e| {
                let name = format!(
                    "{} {}",
                    e["name"].as_str().unwrap_or("?"),
                    e["version"].as_str().unwrap_or("")
                );
                (name, e.clone())
            })
            .collect();
        s += &section(ours, &peers, None, batch);
        let k = &r["browser"]["kernels"];
        if let (Some(conv2), Some(peak), Some(f), Some(chains)) = (
            num(k, &["conv2_gflops"]),
            num(k, &["simd128_peak_gflops"]),
            num(k, &["conv2_fraction_of_peak"]),
            num(k, &["simd128_peak_chains"]),
        ) {
            // JSON keys sort as text ("10" before "8"): listed by chain count.
            let mut by_chains: Vec<(u32, f64)> = k["simd128_gflops_by_chains"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(c, g)| Some((c.parse().ok()?, g.as_f64()?)))
                .collect();
            by_chains.sort_by_key(|&(c, _)| c);
            let by_chains = by_chains
                .iter()
                .map(|(c, g)| format!("{c}: {g:.1}"))
                .collect::<Vec<_>>()
                .join(", ");
            s += &format!(
                "\nconvscope's convolution in wasm: LeNet conv2 at batch 64 runs at {conv2:.1} GFLOP/s, {:.0} % of this machine's simd128 peak for its arithmetic ({peak:.1} GFLOP/s: {chains:.0} independent `f32x4` multiply-then-add chains, the fastest of the counts timed, GFLOP/s by chains {by_chains}; `crates/bench/src/peak.rs`).\n",
                100.0 * f
            );
        }
        s += "\n";
    }
    let native = &r["native"];
    let missing = native["pytorch_missing"].as_str();
    for ours in native["convscope"].as_array().into_iter().flatten() {
        let n = ours["threads"].as_u64().unwrap_or(1);
        let threads = if n == 1 {
            "one thread".to_owned()
        } else {
            format!("{n} threads")
        };
        s += &format!(
            "**Natively, {threads}** (release `convscope bench --threads {n}`: training and batch inference split each batch over the threads; one image runs on one)\n\n"
        );
        let peers: Vec<(String, Value)> = native["pytorch"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["threads"].as_u64() == Some(n))
            .map(|t| {
                let name = format!("PyTorch {}", t["version"].as_str().unwrap_or("?"));
                (name, t.clone())
            })
            .collect();
        let missing = if peers.is_empty() {
            Some(missing.unwrap_or("PyTorch not installed"))
        } else {
            None
        };
        s += &section(ours, &peers, missing, 256);
        s += "\n";
    }
    s += &first_visit(r);
    s += &train_worker(r);
    s
}

/// The Train page's worker against the native CLI, if this run measured it.
fn train_worker(r: &Value) -> String {
    let w = &r["train_worker"];
    let Some(presets) = w["presets"].as_array() else {
        return String::new();
    };
    let mut s = format!(
        "\n**Training in the Train page's web worker** (the release app in Chromium; MNIST, {} images, batch {}, Adam, epoch {} of {}; wall-clock, the worker's yields and progress messages included) **against the native CLI** (release `convscope train --threads 1`, the same settings)\n\n\
| network | worker | native, one thread | worker ÷ native | the page's frames meanwhile (median / 95th percentile) |\n|---|---|---|---|---|\n",
        thousands(w["train_images"].as_f64().unwrap_or(0.0)),
        w["batch"],
        w["epochs"],
        w["epochs"]
    );
    for p in presets {
        let last = |key: &str| {
            p[key]
                .as_array()
                .and_then(|a| a.last())
                .and_then(Value::as_f64)
        };
        let (worker, native) = (last("images_per_s"), last("native_images_per_s"));
        let frames = match (
            num(&p["frame_ms"], &["median"]),
            num(&p["frame_ms"], &["p95"]),
        ) {
            (Some(m), Some(p95)) => format!("{m:.1} ms / {p95:.1} ms"),
            _ => "–".into(),
        };
        s += &format!(
            "| `{}` | {} | {} | {} | {frames} |\n",
            p["network"].as_str().unwrap_or("?"),
            worker.map_or("–".into(), |x| format!("{} images/s", thousands(x))),
            native.map_or("–".into(), |x| format!("{} images/s", thousands(x))),
            match (worker, native) {
                (Some(a), Some(b)) if b > 0.0 => format!("**{:.0} %**", 100.0 * a / b),
                _ => "–".into(),
            }
        );
    }
    s
}

/// The first-visit figures and the wasm sizes, if this run measured them.
fn first_visit(r: &Value) -> String {
    let f = &r["first_visit"];
    let Some(conv) = num(f, &["convolution_first_canvas_ms"]) else {
        return String::new();
    };
    let mut s = format!(
        "\n**First visit** (release build, loopback, served gzipped, fresh profile each time; median of {} visits)\n\n\
| figure | value |\n|---|---|\n\
| navigation → the Convolution lab's first canvas | {conv:.0} ms |\n",
        f["trials"]
    );
    if let Some(floor) = num(f, &["floor_first_canvas_ms"]) {
        s += &format!(
            "| the floor: navigation → the canvas of a page of three small files (HTML, CSS, a module script) | {floor:.0} ms |\n"
        );
    }
    if let (Some(p), Some(first), Some(warm)) = (
        num(f, &["classify_first_prediction_ms"]),
        num(f, &["first_forward_us"]),
        num(f, &["warm_forward_us"]),
    ) {
        s += &format!(
            "| navigation → the Classify page's first prediction | {p:.0} ms |\n\
| that first forward pass in the worker ÷ a warm one | {first:.0} µs ÷ {warm:.0} µs = {:.1}× |\n",
            first / warm
        );
    }
    if let (Some(ready), Some(done)) = (
        num(f, &["worker_ready_ms"]),
        num(f, &["worker_classified_ms"]),
    ) {
        // Runs from before the model's load was measured have no middle mark.
        let (model, at) = match num(f, &["worker_model_loaded_ms"]) {
            Some(m) => (" / its model loaded", format!(" / {m:.0} ms")),
            None => ("", String::new()),
        };
        s += &format!(
            "| navigation → the Classify worker ready{model} / its first classification done | {ready:.0} ms{at} / {done:.0} ms |\n"
        );
    }
    for w in r["size"]["wasm"].as_array().into_iter().flatten() {
        s += &format!(
            "| {} | {} B ({} B gzip -9) |\n",
            w["file"].as_str().unwrap_or("?"),
            thousands(w["bytes"].as_f64().unwrap_or(0.0)),
            thousands(w["gzip_bytes"].as_f64().unwrap_or(0.0))
        );
    }
    if let Some(t) = num(&r["size"], &["gzip_total_bytes"]) {
        s += &format!(
            "| all wasm (app and workers), gzip -9 | {} B |\n",
            thousands(t)
        );
    }
    s
}

/// The line between the latest run and the earlier runs in `BENCHMARKS.md`.
const EARLIER_RUNS: &str = "<!-- The earlier runs: `cargo xtask bench` moves the run above to the top of this list and keeps the rest as it is (notes written into them included). -->";

/// The first heading after the runs, where `benchmarks_md`'s fixed text begins.
const MEASURED: &str = "## What is measured";

/// The earlier runs to keep from `old`, the `BENCHMARKS.md` a run replaces: its latest run,
/// under a heading with its date (any note written into it kept), then the runs it kept
/// itself. A file written before [`EARLIER_RUNS`] existed has its runs end at the first `## `
/// heading after the latest run's. Empty when `old` holds no run.
fn earlier_runs(old: &str) -> String {
    let date = old
        .split_once("*Written by `cargo xtask bench` on ")
        .and_then(|(_, rest)| rest.split_once(';'))
        .map_or("an earlier date", |(date, _)| date);
    // The latest run: after the header's paragraph (which ends with the first `*` line's
    // paragraph), up to the earlier runs.
    let Some((_, body)) = old.split_once("comparable.*\n\n") else {
        return String::new();
    };
    let end = body.find(MEASURED).unwrap_or(body.len());
    let body = &body[..end];
    let (latest, kept) = match body.split_once(EARLIER_RUNS) {
        Some((latest, kept)) => (latest, kept.trim_start_matches('\n')),
        None => match body.find("\n## ") {
            Some(i) => (&body[..=i], &body[i + 1..]),
            None => (body, ""),
        },
    };
    let latest = latest.trim();
    if latest.is_empty() {
        return kept.to_owned();
    }
    format!("## The run of {date}\n\n{latest}\n\n{kept}")
}

fn benchmarks_md(r: &Value, table: &str, earlier: &str) -> String {
    let torch_install = r["native"]["pytorch"]
        .as_array()
        .and_then(|a| a.first())
        .and_then(|t| t["install_seconds"].as_f64())
        .map(|s| format!(" (this run installed it in {s:.0} s)"))
        .unwrap_or_default();
    format!(
        "# Benchmarks\n\n\
*Written by `cargo xtask bench` on {date}; the raw figures are in [bench/results.json](bench/results.json).\n\
Nothing here is asserted by a test: machines of this kind differ by up to 3×, so only ratios\n\
measured in one run on one machine are comparable.*\n\n\
{table}\n\
{EARLIER_RUNS}\n\n\
{earlier}\
{MEASURED}\n\n\
LeNet-5 (ReLU, max pooling, 61,706 parameters) with the same weights in every engine: the\n\
seeded fixture of `crates/bench` (seed 0). Before anything is timed, each engine's logits\n\
for the fixture's check image must equal convscope's within 1e-4, or the bench stops and\n\
names the engine and the logit.\n\n\
- **one image**: logits of one 28×28 image; untimed warm-up runs (1,000 in the browser, so\n\
  Chromium's optimising tier is in), then each run timed alone (the page is cross-origin\n\
  isolated, so `performance.now()` resolves 5 µs; the mean over the whole loop is not\n\
  limited by that). Every engine copies the input in and the logits out on each run;\n\
  ONNX Runtime's `run` is asynchronous, and awaiting it is part of its cost.\n\
- **batch inference**: logits of 256 images per call, repeated for about 3 s.\n\
- **training**: one Adam step (lr 1e-3; forward, softmax cross-entropy, backward, update)\n\
  on a batch of 64, repeated for about 3 s after a warm-up.\n\
- **convolution in wasm**: LeNet conv2 on a batch of 64 through the core's fast path\n\
  (`conv2d_into`, median of 300 calls) in GFLOP/s, beside this machine's simd128 peak for\n\
  the same arithmetic: independent chains of `f32x4` multiply-then-add, 8 to 16 of them\n\
  (median of 30 calls of 3.2 million vector operations each), the fastest count taken:\n\
  with 16, V8 spills registers (x64 has 16 xmm), and the bench measured only 16 until\n\
  2026-12-03, so the fractions of the peak in runs before that are too high.\n\
- **first visit**: the release app (`trunk build --release`, wasm-opt on) served on\n\
  loopback by the xtask's server, text and wasm gzipped as a static host sends them, each\n\
  visit in a fresh Chromium profile (nothing cached):\n\
  the time from navigation to the app's performance marks `convscope:first-canvas` (the\n\
  Convolution lab's first drawn canvas) and `convscope:first-prediction` (the Classify\n\
  page's first prediction), the same mark on a page of three small files (HTML, a\n\
  stylesheet, a module script drawing one canvas) served by the script itself: the floor, what\n\
  a fresh profile of this browser costs on this machine before any app, the Classify worker's own marks (its wasm up,\n\
  `convscope:worker-ready`; its first classification done), and the worker's forward pass\n\
  for that first image beside the median of warm ones (`bench/first-visit.mjs`; the marks are\n\
  read once the visit has settled, so that the driver's own script is not in the page's way\n\
  while the app starts). Sizes are of `dist/*.wasm`, raw and\n\
  `gzip -9` (the app's wasm is the Classify worker's too: one download for both).\n\
- **training in the Train page's worker**: the same release app, a fresh profile per\n\
  network: the Train page's presets (LeNet-5 with ReLU and max pooling; the small\n\
  batch-norm residual network) trained two epochs on 8,000 MNIST digits, each epoch's\n\
  images/s read from the page's epoch table, and the intervals between the page's frames\n\
  (`requestAnimationFrame` for 2 s while epoch 2 trains: 16.7 ms is a smooth 60 Hz)\n\
  (`bench/train-worker.mjs`); natively the release `convscope train --net TEXT --threads 1`\n\
  with the same settings, from its log.\n\n\
The engines:\n\n\
- convscope: `crates/bench`'s wasm binding (release, simd128) in the browser, where every\n\
  product (the convolution's forward pass and gradients, the dense layers) runs through the\n\
  core's own packed simd128 GEMM; natively the release `convscope bench` (training split over\n\
  `--threads`), whose products are faer's (`crates/core/src/conv/product.rs`), which\n\
  dispatches at run time up to AVX-512.\n\
- TensorFlow.js {tfjs} from npm: the wasm backend with SIMD on one thread\n\
  (`WASM_HAS_MULTITHREAD_SUPPORT` off), and the cpu backend (plain JavaScript). Inference\n\
  uses `tf.fused` conv2d/matMul with bias and ReLU; training uses `optimizer.minimize`. The\n\
  wasm backend cannot train a convolution (it has no `Conv2DBackpropFilter`): its training\n\
  cell shows the error it gives, and training is compared with the cpu backend.\n\
- ONNX Runtime Web {ort} from npm (wasm, one thread, graph optimisations on); the model is\n\
  written by `bench/onnx.mjs` from the same weights. It runs inference only.\n\
- PyTorch (`bench/torch_lenet.py`, CPU, `torch.set_num_threads(1)` and `(2)`) loads the\n\
  fixture that `convscope bench --export` writes, with `load_state_dict(strict=True)`.\n\
  `cargo xtask bench --with-torch` creates `~/.cache/convscope/torch-venv` and\n\
  pip-installs torch there when no Python with torch is found{torch_install}; without it\n\
  the table says PyTorch is not installed.\n\n\
## Reproduce\n\n\
```sh\n\
cargo xtask setup               # tools, npm packages (TF.js, ONNX Runtime Web), Chromium\n\
cargo xtask bench --with-torch  # about 5 minutes after the builds\n\
```\n\n\
`cargo xtask bench --quick` runs shorter loops and writes to `target/bench/` only. The pieces\n\
alone:\n\
`convscope bench` (native figures), `bench/torch_lenet.py --data FILE --threads N`, and\n\
`node bench/run.mjs` against a served `target/bench/site/`.\n\n\
Versions in this run: {rustc}; Chromium {chromium}.\n",
        date = r["date"].as_str().unwrap_or("?"),
        tfjs = engine_version(r, "tfjs-wasm"),
        ort = engine_version(r, "ort-wasm"),
        rustc = r["rustc"].as_str().unwrap_or("?"),
        chromium = r["browser"]["chromium"].as_str().unwrap_or("?"),
    )
}

fn engine_version(r: &Value, id: &str) -> String {
    r["browser"]["engines"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["id"] == id))
        .and_then(|e| e["version"].as_str())
        .unwrap_or("?")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run moves the run before it below itself, with its date and its notes, and keeps
    /// every run that file kept; a file without the separator (written before it existed)
    /// too.
    #[test]
    fn earlier_runs_are_kept_and_the_last_one_moves_down() {
        let r = json!({"date": "2026-12-04 10:00 UTC"});
        let header = |date: &str| {
            format!(
                "# Benchmarks\n\n*Written by `cargo xtask bench` on {date}; the raw figures … are comparable.*\n\n"
            )
        };
        let old = format!(
            "{}*A note on run B.*\n\n| B | table |\n\n## Run A, by hand\n\nA's text.\n\n{MEASURED}\n\nfixed text\n",
            header("2026-12-03 02:48 UTC")
        );
        let new = benchmarks_md(&r, "| C | table |\n", &earlier_runs(&old));
        let c = new.find("| C |").unwrap_or(usize::MAX);
        let sep = new.find(EARLIER_RUNS).unwrap_or(0);
        let b = new
            .find("## The run of 2026-12-03 02:48 UTC\n\n*A note on run B.*\n\n| B | table |")
            .unwrap_or(0);
        let a = new.find("## Run A, by hand\n\nA's text.").unwrap_or(0);
        let measured = new.find(MEASURED).unwrap_or(0);
        assert!(c < sep && sep < b && b < a && a < measured, "{new}");
        assert_eq!(new.matches(MEASURED).count(), 1);
        // The next run: C moves down above B, and B and A stay.
        let next = benchmarks_md(&r, "| D | table |\n", &earlier_runs(&new));
        let order: Vec<usize> = [
            "| D |",
            EARLIER_RUNS,
            "## The run of 2026-12-04 10:00 UTC\n\n| C |",
            "## The run of 2026-12-03",
            "## Run A",
            MEASURED,
        ]
        .iter()
        .map(|s| next.find(s).unwrap_or(0))
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}\n{next}");
        assert_eq!(next.matches(EARLIER_RUNS).count(), 1);
        // A file with no run gives nothing to keep.
        assert_eq!(earlier_runs("# Benchmarks\n"), "");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1000.0), "1,000");
    }

    /// The machine of the tables' tests.
    fn machine() -> Value {
        json!({"cpu": "Test CPU", "threads": 2, "simd": "avx2+fma", "gemm_simd": "avx2+fma"})
    }

    /// convscope's figures in the browser, as the tables' tests give them.
    fn convscope_engine() -> Value {
        json!({"id": "convscope", "name": "convscope", "version": "x",
               "infer1": {"median_us": 20.0, "p90_us": 25.0, "mean_us": 21.0},
               "infer_batch": {"images_per_s": 40000.0}, "train64": {"images_per_s": 10000.0}})
    }

    #[test]
    fn the_table_puts_a_ratio_beside_every_peer_figure() {
        let r = json!({
            "machine": machine(),
            "browser": {"chromium": "1.0", "config": {"batch": 256}, "engines": [
                convscope_engine(),
                {"id": "ort-wasm", "name": "ORT", "version": "1",
                 "infer1": {"median_us": 100.0, "p90_us": 120.0, "mean_us": 101.0},
                 "infer_batch": {"images_per_s": 10000.0}, "train64": {"unsupported": "inference only"}}
            ]},
            "native": {"convscope": [{"threads": 1, "infer1": {"median_us": 10.0, "p90_us": 11.0, "mean_us": 10.0},
                       "infer_batch": {"images_per_s": 50000.0}, "train64": {"images_per_s": 12000.0}}],
                       "pytorch": [], "pytorch_missing": "PyTorch not installed"}
        });
        let t = table(&r);
        assert!(t.contains("Test CPU"), "{t}");
        assert!(t.contains("**5.00×**"), "{t}");
        assert!(t.contains("**4.00×**"), "{t}");
        assert!(t.contains("cannot: inference only"), "{t}");
        assert!(t.contains("PyTorch not installed"), "{t}");
    }

    #[test]
    fn the_peak_lists_every_chain_count_in_order() {
        let r = json!({
            "machine": machine(),
            "browser": {"chromium": "1.0", "config": {"batch": 256}, "engines": [
                convscope_engine()],
                "kernels": {"conv2_gflops": 25.0, "simd128_peak_gflops": 50.0,
                    "conv2_fraction_of_peak": 0.5, "simd128_peak_chains": 12,
                    "simd128_gflops_by_chains": {"8": 35.0, "10": 42.0, "12": 50.0, "16": 30.0}}},
            "native": {"convscope": [], "pytorch": [], "pytorch_missing": "PyTorch not installed"}
        });
        let t = table(&r);
        assert!(t.contains("50 % of this machine's simd128 peak"), "{t}");
        assert!(
            t.contains("12 independent `f32x4` multiply-then-add chains"),
            "{t}"
        );
        assert!(t.contains("8: 35.0, 10: 42.0, 12: 50.0, 16: 30.0"), "{t}");
    }

    #[test]
    fn the_first_visit_shows_the_floor_beside_the_app_when_it_was_measured() {
        let mut r = json!({"first_visit": {"trials": 5, "convolution_first_canvas_ms": 331.6,
            "floor_first_canvas_ms": 108.4, "classify_first_prediction_ms": 447.5,
            "first_forward_us": 460.0, "warm_forward_us": 200.0, "worker_ready_ms": 240.2,
            "worker_model_loaded_ms": 260.0, "worker_classified_ms": 301.0}});
        let s = first_visit(&r);
        assert!(
            s.contains("ready / its model loaded / its first classification done | 240 ms / 260 ms / 301 ms |"),
            "{s}"
        );
        assert!(s.contains("median of 5 visits"), "{s}");
        assert!(
            s.contains("the Convolution lab's first canvas | 332 ms |"),
            "{s}"
        );
        assert!(s.contains("(HTML, CSS, a module script) | 108 ms |"), "{s}");
        assert!(s.contains("first prediction | 448 ms |"), "{s}");
        assert!(s.contains("460 µs ÷ 200 µs = 2.3×"), "{s}");
        // Runs from before the floor or the model's load were measured: no floor, two marks.
        r["first_visit"]["floor_first_canvas_ms"] = Value::Null;
        r["first_visit"]["worker_model_loaded_ms"] = Value::Null;
        let s = first_visit(&r);
        assert!(!s.contains("the floor"), "{s}");
        assert!(
            s.contains("ready / its first classification done | 240 ms / 301 ms |"),
            "{s}"
        );
    }
}
