//! The gallery of test-split samples: each a button with the image, its true label, and —
//! once the current model has classified it — whether the model got it right.

use convscope_core::data::IMAGE_SIZE;
use yew::prelude::*;

use crate::by_ptr::ByPtr;
use crate::components::MatrixCanvas;
use crate::lab::classify::Gallery;

/// A picture's side, CSS px.
const PICTURE: f64 = 42.0;

/// Props of [`SampleGallery`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct SampleGalleryProps {
    /// The samples and verdicts.
    pub gallery: ByPtr<Gallery>,
    /// The sample on screen, if any.
    #[prop_or_default]
    pub selected: Option<usize>,
    /// A sample was picked.
    pub on_pick: Callback<usize>,
    /// Whether the samples are shown; until then their place is kept empty. The page shows
    /// its first prediction first: the hundred buttons, five hundred elements, took 30–40 ms
    /// of the page's thread and its layout on the first answer's path.
    #[prop_or(true)]
    pub shown: bool,
}

/// The gallery's height while its samples are not shown: its `max-height`, which a hundred
/// samples fill unless the page is very wide.
const KEPT_HEIGHT: &str = "height:36rem";

/// The sample buttons.
#[component]
pub fn SampleGallery(props: &SampleGalleryProps) -> Html {
    let g = &props.gallery;
    let label = format!("{} test images, 10 per class", g.samples.len());
    if !props.shown {
        return html! {
            <div class="gallery" data-testid="gallery" role="group" aria-label={label}
                aria-busy="true" style={KEPT_HEIGHT}></div>
        };
    }
    let buttons = g.samples.iter().enumerate().map(|(i, s)| {
        let name = g.class_name(s.label);
        let verdict = g.verdict(i);
        let (mark, class, said) = match verdict {
            Some(true) => ("✓", "right", "classified right"),
            Some(false) => ("✗", "wrong", "classified wrong"),
            None => ("", "", "not classified yet"),
        };
        // The mark is decoration; the verdict is read as text (an `aria-label` on a span is
        // not reliably announced).
        let on_pick = props.on_pick.clone();
        let selected = props.selected == Some(i);
        html! {
            <button type="button" class={classes!("sample", class, selected.then_some("selected"))}
                data-testid={format!("sample-{i}")} data-label={name}
                aria-pressed={selected.to_string()}
                title={format!("test image #{}, true label: {name} ({said})", s.test_index)}
                onclick={move |_| on_pick.emit(i)}>
                <MatrixCanvas values={s.pixels.clone()} rows={IMAGE_SIZE} cols={IMAGE_SIZE} size={PICTURE}
                    label={format!("sample {i}: {name}")} />
                <span class="sample-label">{ name }</span>
                <span class="sample-mark" aria-hidden="true">{ mark }</span>
                if verdict.is_some() {
                    <span class="visually-hidden">{ format!(", {said}") }</span>
                }
            </button>
        }
    });
    html! {
        <div class="gallery" data-testid="gallery" role="group" aria-label={label}>
            { for buttons }
        </div>
    }
}
