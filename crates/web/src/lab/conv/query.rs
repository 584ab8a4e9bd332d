//! The convolution lab's settings ↔ the URL hash's query (`#/convolution?f=3&s=2`): only
//! settings that differ from the defaults are written; unknown keys and malformed values keep
//! the default.

use convscope_core::format::parse_f32;

use super::{
    ActivationChoice, CalcInputs, ConvSettings, DRAW_SIZES, InputSource, Kernel, MAX_HYPER, Preset,
};
use crate::lab::hex;
use crate::lab::kernel::MAX_KERNEL;
use crate::lab::lenet::LenetChoice;
use crate::url::Query;

impl ConvSettings {
    /// The query that restores these settings (empty for the defaults).
    pub fn to_query(&self) -> Query {
        let d = ConvSettings::default();
        let mut q = Query::new();
        if self.input != d.input {
            q.push("in", self.input.key());
        }
        if self.draw_size != d.draw_size || self.drawn != d.drawn {
            q.push("n", self.draw_size.to_string());
            q.push("draw", hex::from_bits(&self.drawn));
        }
        match self.preset {
            Some(p) if p != Preset::Lecture => q.push("kp", p.key()),
            Some(_) => {}
            None => {
                q.push("f", self.kernel.size.to_string());
                let values: Vec<String> = self.kernel.values.iter().map(f32::to_string).collect();
                q.push("k", values.join("_"));
                if let Some(l) = self.lenet {
                    q.push("lk", LenetChoice::key(l.model, l.filter));
                    q.push("lb", l.bias.to_string());
                }
            }
        }
        let nums = [
            ("s", self.stride, d.stride),
            ("p", self.padding, d.padding),
            ("dil", self.dilation, d.dilation),
            ("kf", self.filters, d.filters),
            ("g", self.groups, d.groups),
            (
                "i",
                self.link_step.unwrap_or(self.player.step),
                d.player.step,
            ),
        ];
        for (k, v, dv) in nums {
            if v != dv {
                q.push(k, v.to_string());
            }
        }
        self.player.speed_to_query(&mut q);
        if self.activation != d.activation {
            q.push("act", self.activation.key());
        }
        if self.transposed {
            q.push("mode", "transposed");
        }
        let names = ["cw", "cf", "cs", "cp", "cd"];
        for (i, name) in names.into_iter().enumerate() {
            if self.calc.fields[i] != d.calc.fields[i] {
                q.push(name, self.calc.fields[i].clone());
            }
        }
        q
    }

    /// Settings from a query; anything missing or malformed keeps its default.
    pub fn from_query(query: &Query) -> Self {
        let mut s = ConvSettings::default();
        let get = |key: &str| query.get(key);
        if let Some(i) = get("in").and_then(InputSource::from_key) {
            s.input = i;
        }
        if let Some(n) = query.number("n", 64).filter(|n| DRAW_SIZES.contains(n))
            && let Some(bits) = get("draw").and_then(|h| hex::to_bits(h, n * n))
        {
            s.draw_size = n;
            s.drawn = bits;
        }
        if let Some(p) = get("kp").and_then(Preset::from_key) {
            s.preset = Some(p);
            s.kernel = p.kernel();
        }
        if let (Some(f), Some(k)) = (query.number("f", MAX_KERNEL), get("k")) {
            let values: Option<Vec<f32>> = k
                // `_` since the URL is written by URLSearchParams (which would escape `,`);
                // links written before with `,` still read.
                .split(['_', ','])
                .map(parse_f32)
                .collect();
            if let Some(values) = values.filter(|v| f > 0 && v.len() == f * f) {
                s.preset = None;
                s.kernel = Kernel { size: f, values };
                // A LeNet filter's name and bias (its values are the `k` above).
                if let (Some((model, filter)), Some(bias)) = (
                    get("lk").and_then(LenetChoice::parse_key),
                    get("lb").and_then(parse_f32),
                ) {
                    s.lenet = Some(LenetChoice {
                        model,
                        filter,
                        bias,
                    });
                }
            }
        }
        let num = |key: &str, default: usize| query.number(key, MAX_HYPER).unwrap_or(default);
        s.stride = num("s", s.stride);
        s.padding = num("p", s.padding);
        s.dilation = num("dil", s.dilation);
        s.filters = num("kf", s.filters);
        s.groups = num("g", s.groups);
        s.player.speed_from_query(query);
        if let Some(a) = get("act").and_then(ActivationChoice::from_key) {
            s.activation = a;
        }
        s.transposed = get("mode") == Some("transposed");
        let names = ["cw", "cf", "cs", "cp", "cd"];
        for (i, name) in names.into_iter().enumerate() {
            if let Some(v) = get(name) {
                s.calc.fields[i] = CalcInputs::as_typed(v);
            }
        }
        let len = s.step_count();
        s.player.step = get("i").and_then(|v| v.parse().ok()).unwrap_or(0);
        s.player.clamp(len);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::conv::ConvAction;

    #[test]
    fn defaults_write_an_empty_query() {
        assert!(ConvSettings::default().to_query().is_empty());
        assert_eq!(
            ConvSettings::from_query(&Query::new()),
            ConvSettings::default()
        );
    }

    #[test]
    fn conv_settings_round_trip() {
        let mut s = ConvSettings::default();
        s.apply(ConvAction::Input(InputSource::Drawn));
        s.apply(ConvAction::Paint(0, true));
        s.apply(ConvAction::Kernel(Kernel {
            size: 2,
            values: vec![1.0, -0.5, 1.0 / 9.0, 2.0],
        }));
        s.apply(ConvAction::Stride(2));
        s.apply(ConvAction::Padding(1));
        s.apply(ConvAction::Activation(ActivationChoice::Tanh));
        s.apply(ConvAction::Player(crate::lab::PlayerAction::To(3)));
        s.calc.fields[0] = "32".into();
        let q = s.to_query();
        assert_eq!(ConvSettings::from_query(&q), s, "{q:?}");
        assert_eq!(q.get("k"), Some("1_-0.5_0.11111111_2"));
        let mut s = ConvSettings::default();
        s.apply(ConvAction::Preset(Preset::SobelX));
        s.apply(ConvAction::Transposed(true));
        assert_eq!(ConvSettings::from_query(&s.to_query()), s);
    }
}
