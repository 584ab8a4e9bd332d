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
    /// Whether the pictures are drawn (the buttons and labels are there before them: the
    /// page draws its first prediction first).
    #[prop_or(true)]
    pub pictures: bool,
}

/// The sample buttons.
#[component]
pub fn SampleGallery(props: &SampleGalleryProps) -> Html {
    let g = &props.gallery;
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
                if props.pictures {
                    <MatrixCanvas values={s.pixels.clone()} rows={IMAGE_SIZE} cols={IMAGE_SIZE} size={PICTURE}
                        label={format!("sample {i}: {name}")} />
                } else {
                    <span class="matrix compact" aria-hidden="true">
                        <span style={format!("display:block;width:{PICTURE}px;height:{PICTURE}px")}></span>
                    </span>
                }
                <span class="sample-label">{ name }</span>
                <span class="sample-mark" aria-hidden="true">{ mark }</span>
                if verdict.is_some() {
                    <span class="visually-hidden">{ format!(", {said}") }</span>
                }
            </button>
        }
    });
    html! {
        <div class="gallery" data-testid="gallery" role="group"
            aria-label={format!("{} test images, 10 per class", g.samples.len())}>
            { for buttons }
        </div>
    }
}
