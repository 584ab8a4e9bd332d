//! The image worker: decodes the files a visitor uploads (`convscope_web::agent::decode`),
//! started by the first upload, so that the core's worker every visit loads carries no
//! image decoder.

fn main() {
    convscope_web::agent::protocol::serve(
        |request| std::future::ready(convscope_web::agent::decode::answer(request)),
        // The page's loader hands files to the core's worker only.
        |_| {},
    );
}
