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
        Route::Train => (
            "Train that LeNet here, live. Until then, `convscope train` trains it from the command line (crates/cli/README.md).",
            &[
                "loss and accuracy plotted as training runs in a web worker",
                "the filters changing as they learn",
            ],
        ),
        // Every other route has its page.
        _ => ("", &[]),
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
