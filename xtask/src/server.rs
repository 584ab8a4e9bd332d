//! A small static file server for `dist/`: what `cargo xtask serve` serves and what the
//! end-to-end tests run against. Loopback only; GET and HEAD; the right MIME type for
//! `.wasm` (browsers compile it while it streams only when it says `application/wasm`), and
//! on every response the security headers of `headers.rs` (the Content-Security-Policy,
//! `nosniff`, no referrer, cross-origin isolation: COOP `same-origin` and COEP
//! `require-corp` give the page a fine clock, 5 µs in Chromium, for the Classify page's
//! speed measurement), the same list `www/_headers` gives static hosts. Text and wasm go
//! gzipped to a browser that accepts it, as static hosts send them (`gzip -9`, made once per
//! file content): a first visit measured here downloads what it would from a host.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread;

use crate::headers;

/// Which headers a server sends besides the files'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// The app (`dist/`): every header of [`headers::security_headers`].
    App,
    /// The benchmark's page (`target/bench/site/`): only cross-origin isolation (its fine
    /// clock); its peers, TensorFlow.js and ONNX Runtime Web, are measured as they ship,
    /// not under the app's Content-Security-Policy.
    Bench,
}

impl Site {
    fn headers(self) -> Vec<(&'static str, String)> {
        match self {
            Site::App => headers::security_headers(),
            Site::Bench => headers::isolation_headers(),
        }
    }
}

/// Binds `127.0.0.1:port` (port 0 picks a free one) and serves `root` on background threads
/// with `site`'s headers. Returns the bound port.
pub fn spawn(root: PathBuf, port: u16, site: Site) -> Result<u16, String> {
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| {
        format!("cannot listen on 127.0.0.1:{port}: {e} (is another server using it? try --port)")
    })?;
    let bound = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?
        .port();
    // The files a first visit loads, gzipped before it comes.
    let top = root.clone();
    thread::spawn(move || {
        for entry in std::fs::read_dir(top).into_iter().flatten().flatten() {
            let path = entry.path();
            if compressible(mime(&path))
                && let Ok(body) = std::fs::read(&path)
            {
                let _ = gzipped(&etag(&body), &body);
            }
        }
    });
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            thread::spawn(move || {
                if let Err(e) = handle(stream, &root, site) {
                    eprintln!("server: {e}");
                }
            });
        }
    });
    Ok(bound)
}

fn handle(stream: TcpStream, root: &Path, site: Site) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // The headers: If-None-Match (a file unchanged since the browser's copy is answered 304,
    // so `Cache-Control: no-cache` costs a round trip, not the file) and Accept-Encoding.
    let mut header = String::new();
    let mut if_none_match = None;
    let mut gzip = false;
    while reader.read_line(&mut header)? > 2 {
        if let Some((name, value)) = header.split_once(':') {
            let name = name.trim();
            if name.eq_ignore_ascii_case("if-none-match") {
                if_none_match = Some(value.trim().to_owned());
            } else if name.eq_ignore_ascii_case("accept-encoding") {
                gzip = accepts_gzip(value);
            }
        }
        header.clear();
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default();
    let target = parts.next().unwrap_or("/");
    let mut stream = stream;
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut stream,
            site,
            "405 Method Not Allowed",
            "text/plain",
            b"GET or HEAD only\n",
            method == "HEAD",
        );
    }
    match resolve(root, target) {
        Some(path) => match std::fs::read(&path) {
            Ok(body) => {
                let content_type = mime(&path);
                let compress = compressible(content_type);
                let mut tag = etag(&body);
                let mut extra = String::new();
                if compress {
                    extra.push_str("Vary: Accept-Encoding\r\n");
                }
                let body = if compress && gzip {
                    extra.push_str("Content-Encoding: gzip\r\n");
                    let zipped = gzipped(&tag, &body)?;
                    // Another representation, another validator.
                    tag.insert_str(tag.len() - 1, "-gzip");
                    zipped
                } else {
                    Arc::new(body)
                };
                extra.push_str(&format!("ETag: {tag}\r\n"));
                if if_none_match.as_deref() == Some(tag.as_str()) {
                    let mut head = head_of(site, "304 Not Modified", content_type, None);
                    head.insert_str(head.len() - 2, &extra);
                    stream.write_all(head.as_bytes())?;
                    return stream.flush();
                }
                let mut head = head_of(site, "200 OK", content_type, Some(body.len()));
                head.insert_str(head.len() - 2, &extra);
                stream.write_all(head.as_bytes())?;
                if method != "HEAD" {
                    stream.write_all(&body)?;
                }
                stream.flush()
            }
            Err(_) => respond(
                &mut stream,
                site,
                "404 Not Found",
                "text/plain",
                b"not found\n",
                method == "HEAD",
            ),
        },
        None => respond(
            &mut stream,
            site,
            "404 Not Found",
            "text/plain",
            b"not found\n",
            method == "HEAD",
        ),
    }
}

/// Maps a request target to a file under `root`, refusing anything that climbs out of it.
fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let mut file = root.to_path_buf();
    for component in Path::new(path.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => file.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    file.is_file().then_some(file)
}

fn mime(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "json" => "application/json",
        "ico" => "image/x-icon",
        // The datasets' chunks (dist/data/).
        "bin" => "application/octet-stream",
        _ => "application/octet-stream",
    }
}

/// Whether a response of this type goes gzipped to a browser that accepts it: text and
/// wasm, as static hosts send them; not images or the datasets' binary chunks.
fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || matches!(
            content_type,
            "application/wasm" | "application/json" | "image/svg+xml"
        )
}

/// Whether an `Accept-Encoding` value accepts gzip (named without `q=0`).
fn accepts_gzip(value: &str) -> bool {
    value.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        parts.next().is_some_and(|c| c.eq_ignore_ascii_case("gzip"))
            && parts.all(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f64>().ok())
                    .is_none_or(|q| q > 0.0)
            })
    })
}

/// `body` gzipped at the best level, made once per content (`tag`, its [`etag`]) and kept
/// for the server's life: the app's wasm takes a noticeable time to compress.
fn gzipped(tag: &str, body: &[u8]) -> std::io::Result<Arc<Vec<u8>>> {
    static KEPT: OnceLock<Mutex<HashMap<String, Arc<Vec<u8>>>>> = OnceLock::new();
    let kept = KEPT.get_or_init(Mutex::default);
    if let Some(z) = kept.lock().unwrap_or_else(PoisonError::into_inner).get(tag) {
        return Ok(z.clone());
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(body)?;
    let zipped = Arc::new(encoder.finish()?);
    kept.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(tag.to_owned(), zipped.clone());
    Ok(zipped)
}

/// A strong validator of a file's content: its length and a 64-bit FNV-1a hash.
fn etag(body: &[u8]) -> String {
    let hash = body.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("\"{:x}-{hash:016x}\"", body.len())
}

fn respond(
    stream: &mut TcpStream,
    site: Site,
    status: &str,
    content_type: &str,
    body: &[u8],
    head: bool,
) -> std::io::Result<()> {
    stream.write_all(head_of(site, status, content_type, Some(body.len())).as_bytes())?;
    if !head {
        stream.write_all(body)?;
    }
    stream.flush()
}

/// The status line and headers of a response, up to and including the blank line (no
/// `Content-Length` for a 304).
fn head_of(site: Site, status: &str, content_type: &str, length: Option<usize>) -> String {
    let length = length.map_or(String::new(), |n| format!("Content-Length: {n}\r\n"));
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{length}Cache-Control: no-cache\r\n"
    );
    for (name, value) in site.headers() {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    head
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn paths_that_climb_out_of_the_root_are_refused() {
        let root = std::env::temp_dir();
        assert_eq!(resolve(&root, "/../etc/passwd"), None);
        assert_eq!(resolve(&root, "/a/../../etc/passwd"), None);
    }

    #[test]
    fn wasm_is_served_as_application_wasm() {
        assert_eq!(mime(Path::new("app_bg.wasm")), "application/wasm");
        assert_eq!(
            mime(Path::new("worker.js")),
            "text/javascript; charset=utf-8"
        );
    }

    #[test]
    fn every_response_carries_the_security_headers() {
        for status in ["200 OK", "404 Not Found"] {
            let head = head_of(Site::App, status, "text/html; charset=utf-8", Some(12));
            for (name, value) in headers::security_headers() {
                assert!(
                    head.contains(&format!("\r\n{name}: {value}\r\n")),
                    "{name} missing from {head}"
                );
            }
            assert!(head.ends_with("\r\n\r\n"));
            assert_eq!(head.matches("\r\n\r\n").count(), 1);
        }
    }

    #[test]
    fn the_benchmark_page_is_isolated_but_not_under_the_apps_policy() {
        let head = head_of(Site::Bench, "200 OK", "text/html; charset=utf-8", Some(12));
        assert!(head.contains("\r\nCross-Origin-Opener-Policy: same-origin\r\n"));
        assert!(head.contains("\r\nCross-Origin-Embedder-Policy: require-corp\r\n"));
        assert!(!head.contains("Content-Security-Policy"));
    }

    #[test]
    fn dataset_chunks_and_manifests_have_their_types() {
        assert_eq!(
            mime(Path::new("data/mnist/train-000.bin")),
            "application/octet-stream"
        );
        assert_eq!(
            mime(Path::new("data/mnist/manifest.json")),
            "application/json"
        );
    }

    #[test]
    fn an_unchanged_file_is_answered_304() {
        let root = std::env::temp_dir().join(format!("convscope-etag-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("a.wasm"), b"\0asm").unwrap();
        let port = spawn(root.clone(), 0, Site::App).unwrap();
        let get = |extra: &str| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.write_all(format!("GET /a.wasm HTTP/1.1\r\nHost: x\r\n{extra}\r\n").as_bytes())
                .unwrap();
            let mut answer = String::new();
            std::io::Read::read_to_string(&mut s, &mut answer).unwrap();
            answer
        };
        let first = get("");
        assert!(first.starts_with("HTTP/1.1 200 OK\r\n"), "{first}");
        let tag = first
            .lines()
            .find_map(|l| l.strip_prefix("ETag: "))
            .unwrap()
            .to_owned();
        let again = get(&format!("If-None-Match: {tag}\r\n"));
        assert!(
            again.starts_with("HTTP/1.1 304 Not Modified\r\n"),
            "{again}"
        );
        assert!(again.ends_with("\r\n\r\n") && !again.contains("Content-Length"));
        assert!(again.contains("Content-Security-Policy: "));
        std::fs::write(root.join("a.wasm"), b"\0asm!").unwrap();
        let changed = get(&format!("If-None-Match: {tag}\r\n"));
        assert!(changed.starts_with("HTTP/1.1 200 OK\r\n"), "{changed}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn text_and_wasm_go_gzipped_to_a_browser_that_accepts_it() {
        use std::io::Read;
        let root = std::env::temp_dir().join(format!("convscope-gzip-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        let wasm: Vec<u8> = (0..20_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        std::fs::write(root.join("a.wasm"), &wasm).unwrap();
        std::fs::write(root.join("c.bin"), &wasm).unwrap();
        let port = spawn(root.clone(), 0, Site::App).unwrap();
        let get = |file: &str, extra: &str| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.write_all(format!("GET /{file} HTTP/1.1\r\nHost: x\r\n{extra}\r\n").as_bytes())
                .unwrap();
            let mut answer = Vec::new();
            s.read_to_end(&mut answer).unwrap();
            let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            let body = answer.split_off(split);
            (String::from_utf8(answer).unwrap(), body)
        };
        let (head, body) = get("a.wasm", "Accept-Encoding: gzip, deflate, br\r\n");
        assert!(head.contains("\r\nContent-Encoding: gzip\r\n"), "{head}");
        assert!(head.contains("\r\nVary: Accept-Encoding\r\n"), "{head}");
        assert!(head.contains(&format!("\r\nContent-Length: {}\r\n", body.len())));
        assert!(body.len() < wasm.len() / 4, "{} bytes", body.len());
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, wasm);
        // Its validator is the gzipped copy's: a 304 for it, never for the plain file.
        let tag = head.lines().find_map(|l| l.strip_prefix("ETag: ")).unwrap();
        assert!(tag.ends_with("-gzip\""), "{tag}");
        let (again, _) = get(
            "a.wasm",
            &format!("Accept-Encoding: gzip\r\nIf-None-Match: {tag}\r\n"),
        );
        assert!(
            again.starts_with("HTTP/1.1 304 Not Modified\r\n"),
            "{again}"
        );
        let (plain, plain_body) = get("a.wasm", &format!("If-None-Match: {tag}\r\n"));
        assert!(plain.starts_with("HTTP/1.1 200 OK\r\n"), "{plain}");
        assert!(!plain.contains("Content-Encoding"));
        assert_eq!(plain_body, wasm);
        let (refused, refused_body) = get("a.wasm", "Accept-Encoding: gzip;q=0, br\r\n");
        assert!(
            !refused.contains("Content-Encoding") && refused_body == wasm,
            "{refused}"
        );
        // The datasets' binary chunks go as they are.
        let (chunk, chunk_body) = get("c.bin", "Accept-Encoding: gzip\r\n");
        assert!(!chunk.contains("Content-Encoding") && !chunk.contains("Vary"));
        assert_eq!(chunk_body, wasm);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
