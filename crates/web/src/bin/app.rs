//! The app's entry point: in a window, mounts [`convscope_web::app::App`] into `<body>`; in a
//! web worker, is the core's worker ([`convscope_web::agent::handle`]).
//!
//! One wasm is both, so that a visit downloads and compiles it once: the page's loader
//! (`www/boot.js`) starts the core's worker from the app's JavaScript and sends it the
//! module the page compiled. The image and training workers are binaries of their own
//! (`crates/workers`): started only by an upload or a training run, and the trainer built
//! for speed.

fn main() {
    if web_sys::window().is_some() {
        yew::Renderer::<convscope_web::app::App>::new().render();
    } else {
        convscope_web::agent::protocol::serve(
            convscope_web::agent::handle,
            convscope_web::agent::model::preload,
        );
    }
}
