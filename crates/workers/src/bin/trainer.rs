//! The training worker's entry point: registers the training reactor, so a network trains
//! off the page's thread and apart from the Classify page's worker.

use yew_agent::Registrable;

fn main() {
    convscope_web::trainer::TrainAgent::registrar()
        .encoding::<convscope_web::wire::Bincode1>()
        .register();
}
