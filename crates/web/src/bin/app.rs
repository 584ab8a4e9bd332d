//! The app's entry point: mounts [`convscope_web::app::App`] into `<body>`.

fn main() {
    yew::Renderer::<convscope_web::app::App>::new().render();
}
