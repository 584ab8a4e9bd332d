//! One component per page: [`Page`] dispatches on the route; each page lives in its own
//! module (`pages/<name>.rs`, its parts in `pages/<name>/`).

mod architectures;
mod classify;
mod convolution;
mod pooling;
mod train;

use yew::prelude::*;

use crate::route::Route;

pub use architectures::ArchitecturesPage;
pub use classify::ClassifyPage;
pub use convolution::ConvolutionPage;
pub use pooling::PoolingPage;
pub use train::TrainPage;

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
        Route::Train => html! { <TrainPage /> },
    }
}
