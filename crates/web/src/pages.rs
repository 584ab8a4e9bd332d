//! One component per page. The pages to come are placeholders that say what they will hold.

use yew::platform::spawn_local;
use yew::prelude::*;
use yew_agent::oneshot::use_oneshot_runner;

use crate::agent::{CoreReply, CoreRequest, CoreTask};
use crate::route::Route;

/// Props of [`Page`].
#[derive(Debug, Properties, PartialEq)]
pub struct PageProps {
    /// Which page to show.
    pub route: Route,
}

/// The page a route names.
#[component]
pub fn Page(props: &PageProps) -> Html {
    let route = props.route;
    let (lead, items): (&str, &[&str]) = match route {
        Route::Convolution => (
            "Watch a kernel slide over an image, one dot product at a time.",
            &[
                "the lecture's 5×5 image and 3×3 kernel, every product and the sum shown (= 4), then sigmoid(4) = 0.98",
                "W, F, S, P, K and dilation as controls; W2 = (W1 − F + 2P)/S + 1 and the parameter count (F·F·D1)·K + K with your numbers, and a clear reason when a setting is invalid",
                "play, pause, step and scrub with the mouse or the keyboard; RGB inputs and K filters",
            ],
        ),
        Route::Pooling => (
            "What activations and pooling do to a feature map.",
            &[
                "ReLU, leaky ReLU, sigmoid and tanh drawn, the current value marked on the curve",
                "max, average and sum pooling, overlapping or not, animated per depth slice",
            ],
        ),
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
            if route == Route::Convolution {
                <WorkerCheck />
            }
            <div class="placeholder">
                <h3>{"Coming to this page"}</h3>
                <ul>{ for items.iter().map(|item| html! { <li>{ *item }</li> }) }</ul>
            </div>
        </section>
    }
}

/// The lecture's AlexNet CONV1 example, computed by the core in the web worker.
#[component]
fn WorkerCheck() -> Html {
    let runner = use_oneshot_runner::<CoreTask>();
    let reply = use_state(|| None::<CoreReply>);
    {
        let reply = reply.clone();
        use_effect_with((), move |_| {
            spawn_local(async move {
                let answer = runner
                    .run(CoreRequest::OutputSize {
                        input: 227,
                        kernel: 11,
                        stride: 4,
                        padding: 0,
                        dilation: 1,
                    })
                    .await;
                reply.set(Some(answer));
            });
        });
    }
    let result = match &*reply {
        None => html! { <span class="pending">{"computing in the web worker…"}</span> },
        Some(CoreReply::OutputSize(Ok(size))) => {
            html! { <output data-testid="worker-result">{ size }</output> }
        }
        Some(CoreReply::OutputSize(Err(message))) => {
            html! { <span class="error" role="alert">{ message }</span> }
        }
    };
    html! {
        <p class="worker-check">
            {"AlexNet CONV1, computed by the Rust core in a web worker: (227 − 11 + 2·0)/4 + 1 = "}
            { result }
        </p>
    }
}
