//! The web worker's entry point: registers the core task so the app can run it off the UI thread.

use yew_agent::Registrable;

fn main() {
    convscope_web::agent::CoreTask::registrar().register();
}
