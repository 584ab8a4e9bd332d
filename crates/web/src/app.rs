//! The app shell: header, navigation, and the page the URL names.

use yew::prelude::*;

use crate::core_worker::CoreWorkerProvider;
use crate::handoff::Handoff;
use crate::hooks::use_hash_route;
use crate::pages::Page;
use crate::route::Route;
use crate::trainer::host::TrainerProvider;

/// The root component.
#[component]
pub fn App() -> Html {
    let handoff = use_memo((), |()| Handoff::default());
    html! {
        <CoreWorkerProvider>
          <ContextProvider<Handoff> context={(*handoff).clone()}>
            // The training worker starts when the Train page first connects and lives as
            // long as the tab: a run goes on while the visitor looks at other pages.
            <TrainerProvider>
                <Shell />
            </TrainerProvider>
          </ContextProvider<Handoff>>
        </CoreWorkerProvider>
    }
}

#[component]
fn Shell() -> Html {
    let route = use_hash_route();
    use_effect_with(route, |route| {
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            doc.set_title(&format!("{} · convscope", route.title()));
        }
    });
    html! {
        <>
            <header class="site-header">
                <a class="brand" href={Route::Convolution.href()}>
                    <span class="brand-mark" aria-hidden="true">{"▦"}</span>
                    <h1>{"convscope"}</h1>
                </a>
                <p class="tagline">{"Convolutional networks, explained by computing them"}</p>
                <nav aria-label="Pages">
                    <ul>
                        { for Route::ALL.into_iter().map(|r| nav_link(r, route)) }
                    </ul>
                </nav>
            </header>
            <main id="main">
                <Page route={route} />
            </main>
            <footer class="site-footer">
                {"Every number on this page is computed by convscope's Rust core, compiled to WebAssembly."}
            </footer>
        </>
    }
}

fn nav_link(route: Route, current: Route) -> Html {
    let is_current = route == current;
    html! {
        <li>
            <a href={route.href()}
               class={classes!(is_current.then_some("current"))}
               aria-current={is_current.then_some("page")}>
                { route.title() }
            </a>
        </li>
    }
}
