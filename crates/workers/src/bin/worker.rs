//! The core's web worker: answers the app's requests off the UI thread
//! (`convscope_web::agent::protocol`).

fn main() {
    convscope_web::agent::protocol::serve(convscope_web::agent::handle);
}
