//! Occlusion, animated with the lab's player: the gray patch moves over the input position
//! by position (its positions follow the output-size formula, like a kernel's), and the
//! map of probability drops fills in behind it, one cell per position, with the class
//! probability at the current position beside it.

use std::rc::Rc;

use convscope_core::arch::Volume;
use convscope_core::explain::{OcclusionConfig, cover};
use yew::prelude::*;

use crate::by_ptr::ByPtr;
use crate::components::{MatrixCanvas, PlayerControls};
use crate::hooks::{lab_key, use_interval};
use convscope_core::data::IMAGE_SIZE;
use convscope_core::format::{points, probability};

use crate::lab::{ColorScale, Player, PlayerAction};

/// Props of [`OcclusionPlayer`].
#[derive(Properties, PartialEq)]
pub struct OcclusionPlayerProps {
    /// The network input (28×28).
    pub input: ByPtr<Vec<f32>>,
    /// `[rows, cols]` of positions.
    pub dims: [usize; 2],
    /// The drop at each position, row-major.
    pub drops: ByPtr<Vec<f32>>,
    /// The patch's side and stride.
    pub patch: usize,
    /// Its step.
    pub stride: usize,
    /// The class probability of the image as it is.
    pub baseline: f32,
    /// The class's name.
    pub class: AttrValue,
    /// The map's colour scale.
    pub scale: ColorScale,
}

/// The patch sliding over the input and the map filling in.
#[component]
pub fn OcclusionPlayer(p: &OcclusionPlayerProps) -> Html {
    let [rows, cols] = p.dims;
    let len = rows * cols;
    // Paused on the whole map; Play restarts from the first position.
    let player = use_state(|| Player {
        step: len.saturating_sub(1),
        playing: false,
        speed: 15,
    });
    let on_action = {
        let player = player.clone();
        use_callback(len, move |a: PlayerAction, len| {
            let mut next = *player;
            next.apply(a, *len);
            player.set(next);
        })
    };
    {
        let on_action = on_action.clone();
        use_interval(
            player.playing,
            player.period_ms(),
            Callback::from(move |()| on_action.emit(PlayerAction::Tick)),
        );
    }
    // The lab's keys while the focus is inside the player (its buttons, its maps).
    let onkeydown = {
        let on_action = on_action.clone();
        Callback::from(move |e: KeyboardEvent| {
            if let Some(k) = lab_key(&e) {
                e.prevent_default();
                on_action.emit(k.into());
            }
        })
    };
    let i = player.step.min(len.saturating_sub(1));
    let at = [i / cols.max(1) * p.stride, i % cols.max(1) * p.stride];
    let occluded = use_memo((p.input.clone(), at, p.patch), |(input, at, patch)| {
        let mut image = input.0.to_vec();
        let v = Volume::new(IMAGE_SIZE, IMAGE_SIZE, 1);
        if cover(&mut image, v, *at, *patch, OcclusionConfig::default().fill).is_err() {
            image.clone_from(&input.0);
        }
        Rc::new(image)
    });
    let drop = p.drops.get(i).copied().unwrap_or(f32::NAN);
    let frame = [
        at[1] as u32,
        at[0] as u32,
        (at[1] + p.patch).min(IMAGE_SIZE) as u32,
        (at[0] + p.patch).min(IMAGE_SIZE) as u32,
    ];
    html! {
        <div class="occlusion-player" data-testid="occlusion-player" data-step={i.to_string()} {onkeydown}
            data-drop={drop.to_string()} data-probability={(p.baseline - drop).to_string()}>
            <div class="maps">
                <div class="map">
                    <MatrixCanvas values={(*occluded).clone()} rows={IMAGE_SIZE} cols={IMAGE_SIZE} size={168.0} frame={frame}
                        label={format!("the input with the patch at rows {} to {}, columns {} to {}", at[0], at[0] + p.patch - 1, at[1], at[1] + p.patch - 1)}
                        testid="occlusion-input" />
                    <p class="map-caption">{"the patch at this position"}</p>
                </div>
                <div class="map">
                    <MatrixCanvas values={p.drops.0.clone()} rows={rows} cols={cols} scale={p.scale} size={168.0}
                        filled={i + 1} focus={[i / cols.max(1), i % cols.max(1)]}
                        label="the drops so far" testid="occlusion-map" />
                    <p class="map-caption">{"drops so far"}</p>
                </div>
            </div>
            <PlayerControls player={*player} len={len} on_action={on_action} noun="position" />
            <p data-testid="occlusion-now">
                { format!(
                    "Position {} of {len} (row {}, column {}): the patch covers rows {} to {}, columns {} to {}; probability of {} {} (as it is {}), a drop of {} points.",
                    i + 1, i / cols.max(1), i % cols.max(1),
                    at[0], (at[0] + p.patch).min(IMAGE_SIZE) - 1, at[1], (at[1] + p.patch).min(IMAGE_SIZE) - 1,
                    p.class, probability(p.baseline - drop), probability(p.baseline), points(drop),
                ) }
            </p>
        </div>
    }
}
