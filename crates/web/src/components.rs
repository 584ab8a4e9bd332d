//! Reusable components, one per file.

mod activation_plot;
mod calculator;
mod image_input;
mod kernel_editor;
mod legend;
mod matrix_canvas;
mod number_field;
mod player;
mod products_grid;
mod volume_formula;

pub use activation_plot::ActivationPlot;
pub use calculator::Calculator;
pub use image_input::ImageInput;
pub use kernel_editor::KernelEditor;
pub use legend::Legend;
pub use matrix_canvas::{MatrixCanvas, field_frame};
pub use number_field::NumberField;
pub use player::PlayerControls;
pub use products_grid::{ProductsGrid, channel_name};
pub use volume_formula::{VolumeFormula, axis_line};

/// The value of the `<select>` or `<input>` an event came from (empty for anything else):
/// what a settings panel's `onchange` reads.
pub fn control_value(e: &yew::Event) -> String {
    use yew::TargetCast;
    e.target_dyn_into::<web_sys::HtmlSelectElement>()
        .map(|s| s.value())
        .or_else(|| {
            e.target_dyn_into::<web_sys::HtmlInputElement>()
                .map(|i| i.value())
        })
        .unwrap_or_default()
}
