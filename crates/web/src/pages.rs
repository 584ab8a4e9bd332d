//! One component per page: [`Page`] dispatches on the route; each finished page lives in
//! its own module (`pages/<name>.rs`); the pages still to come share [`Placeholder`].

mod architectures;
mod classify;
mod convolution;
mod pooling;

use yew::prelude::*;

use crate::route::Route;

pub use architectures::ArchitecturesPage;
pub use classify::ClassifyPage;
pub use convolution::ConvolutionPage;
pub use pooling::PoolingPage;

/// Props of [`Page`].
#[derive(Debug, Properties, PartialEq)]
pub struct PageProps {
    /// Which page to show.
    pub route: Route,
}

/// The page a route names.
#[component]
pub fn Page(props: &PageProps) -> Html {
    match props.route {
        Route::Convolution => html! { <ConvolutionPage /> },
        Route::Pooling => html! { <PoolingPage /> },
        Route::Architectures => html! { <ArchitecturesPage /> },
        Route::Classify => html! { <ClassifyPage /> },
        route => html! { <Placeholder route={route} /> },
    }
}

/// A page still to come: its title and what it will hold.
#[component]
pub fn Placeholder(props: &PageProps) -> Html {
    let route = props.route;
    let (lead, items): (&str, &[&str]) = match route {
        Route::Convolution | Route::Pooling => ("", &[]),
        Route::Architectures => (
            "LeNet, AlexNet, VGG and ResNet, layer by layer.",
            &[
                "output volumes, parameters, multiply-accumulates and receptive fields per layer",
                "the lecture's AlexNet table ([227×227×3] → [55×55×96] CONV1 …), computed live for any input size",
                "AlexNet → VGG → ResNet compared, as on the ImageNet winners slide",
            ],
        ),
        Route::Classify => (
            "A LeNet running live in your browser classifies what you draw, pick or upload.",
            &[
                "a drawing pad, MNIST and Fashion-MNIST samples, and file upload",
                "every feature map, every filter, and the class probabilities",
                "click any feature-map pixel to see the convolution that produced it",
            ],
        ),
        Route::Train => (
            "Train that LeNet here, live.",
            &[
                "loss and accuracy plotted as training runs in a web worker",
                "the filters changing as they learn",
            ],
        ),
    };
    html! {
        <section class="page" aria-labelledby="page-title">
            <h2 id="page-title">{ route.title() }</h2>
            <p class="lead">{ lead }</p>
            <div class="placeholder">
                <h3>{"Coming to this page"}</h3>
                <ul>{ for items.iter().map(|item| html! { <li>{ *item }</li> }) }</ul>
            </div>
        </section>
    }
}
