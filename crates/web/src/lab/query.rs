//! Lab settings ↔ the URL hash's query (`#/convolution?f=3&s=2`), so a reload or a shared
//! link restores the lab. Only settings that differ from the defaults are written; unknown
//! keys and malformed values are ignored (the default stays).

use convscope_core::PoolKind;

use super::conv::{
    ActivationChoice, CalcInputs, ConvSettings, DRAW_SIZES, InputSource, Kernel, MAX_HYPER,
    MAX_KERNEL, Preset,
};
use super::lenet::LenetChoice;
use super::player::SPEEDS;
use super::pool::{KINDS, PoolSettings, PoolSource};

/// `key=value` pairs of a query string (no percent-decoding: values are plain ASCII).
pub fn pairs(query: &str) -> Vec<(&str, &str)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect()
}

/// The query part of a location hash (`#/page?query` → `query`).
pub fn query_of(hash: &str) -> &str {
    hash.split_once('?').map_or("", |(_, q)| q)
}

fn join(pairs: Vec<(&str, String)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn small(v: &str, max: usize) -> Option<usize> {
    v.parse::<usize>().ok().filter(|&n| n <= max)
}

fn bits_to_hex(bits: &[bool]) -> String {
    bits.chunks(4)
        .map(|c| {
            let n = c
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << i));
            char::from_digit(n, 16).unwrap_or('0')
        })
        .collect()
}

fn hex_to_bits(hex: &str, len: usize) -> Option<Vec<bool>> {
    let mut bits = Vec::with_capacity(len);
    for c in hex.chars() {
        let n = c.to_digit(16)?;
        bits.extend((0..4).map(|i| n >> i & 1 == 1));
    }
    (bits.len() >= len).then(|| {
        bits.truncate(len);
        bits
    })
}

/// Calculator fields keep digits only.
fn digits(v: &str) -> String {
    v.chars().filter(char::is_ascii_digit).take(9).collect()
}

impl ConvSettings {
    /// The query that restores these settings ("" for the defaults).
    pub fn to_query(&self) -> String {
        let d = ConvSettings::default();
        let mut q: Vec<(&str, String)> = Vec::new();
        if self.input != d.input {
            q.push(("in", self.input.key()));
        }
        if self.draw_size != d.draw_size || self.drawn != d.drawn {
            q.push(("n", self.draw_size.to_string()));
            q.push(("draw", bits_to_hex(&self.drawn)));
        }
        match self.preset {
            Some(p) if p != Preset::Lecture => q.push(("kp", p.key().into())),
            Some(_) => {}
            None => {
                q.push(("f", self.kernel.size.to_string()));
                let values: Vec<String> = self.kernel.values.iter().map(f32::to_string).collect();
                q.push(("k", values.join(",")));
                if let Some(l) = self.lenet {
                    q.push(("lk", LenetChoice::key(l.model, l.filter)));
                    q.push(("lb", l.bias.to_string()));
                }
            }
        }
        let nums = [
            ("s", self.stride, d.stride),
            ("p", self.padding, d.padding),
            ("dil", self.dilation, d.dilation),
            ("kf", self.filters, d.filters),
            ("g", self.groups, d.groups),
            ("i", self.player.step, d.player.step),
        ];
        for (k, v, dv) in nums {
            if v != dv {
                q.push((k, v.to_string()));
            }
        }
        if self.player.speed != d.player.speed {
            q.push(("v", self.player.speed.to_string()));
        }
        if self.activation != d.activation {
            q.push(("act", self.activation.key().into()));
        }
        if self.transposed {
            q.push(("mode", "transposed".into()));
        }
        let names = ["cw", "cf", "cs", "cp", "cd"];
        for (i, name) in names.into_iter().enumerate() {
            if self.calc.fields[i] != d.calc.fields[i] {
                q.push((name, self.calc.fields[i].clone()));
            }
        }
        join(q)
    }

    /// Settings from a query; anything missing or malformed keeps its default.
    pub fn from_query(query: &str) -> Self {
        let mut s = ConvSettings::default();
        let pairs = pairs(query);
        let get = |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        if let Some(i) = get("in").and_then(InputSource::from_key) {
            s.input = i;
        }
        if let Some(n) = get("n")
            .and_then(|v| small(v, 64))
            .filter(|n| DRAW_SIZES.contains(n))
            && let Some(bits) = get("draw").and_then(|h| hex_to_bits(h, n * n))
        {
            s.draw_size = n;
            s.drawn = bits;
        }
        if let Some(p) = get("kp").and_then(Preset::from_key) {
            s.preset = Some(p);
            s.kernel = p.kernel();
        }
        if let (Some(f), Some(k)) = (get("f").and_then(|v| small(v, MAX_KERNEL)), get("k")) {
            let values: Option<Vec<f32>> = k
                .split(',')
                .map(|v| v.parse::<f32>().ok().filter(|x| x.is_finite()))
                .collect();
            if let Some(values) = values.filter(|v| f > 0 && v.len() == f * f) {
                s.preset = None;
                s.kernel = Kernel { size: f, values };
                // A LeNet filter's name and bias (its values are the `k` above).
                if let (Some((model, filter)), Some(bias)) = (
                    get("lk").and_then(LenetChoice::parse_key),
                    get("lb")
                        .and_then(|v| v.parse::<f32>().ok())
                        .filter(|b| b.is_finite()),
                ) && f == super::lenet::SIDE
                {
                    s.lenet = Some(LenetChoice {
                        model,
                        filter,
                        bias,
                    });
                }
            }
        }
        let num = |key: &str, default: usize| {
            get(key)
                .and_then(|v| small(v, MAX_HYPER))
                .unwrap_or(default)
        };
        s.stride = num("s", s.stride);
        s.padding = num("p", s.padding);
        s.dilation = num("dil", s.dilation);
        s.filters = num("kf", s.filters);
        s.groups = num("g", s.groups);
        if let Some(v) = get("v")
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|v| SPEEDS.contains(v))
        {
            s.player.speed = v;
        }
        if let Some(a) = get("act").and_then(ActivationChoice::from_key) {
            s.activation = a;
        }
        s.transposed = get("mode") == Some("transposed");
        let names = ["cw", "cf", "cs", "cp", "cd"];
        for (i, name) in names.into_iter().enumerate() {
            if let Some(v) = get(name) {
                s.calc.fields[i] = digits(v);
            }
        }
        let len = s.step_count();
        s.player.step = get("i").and_then(|v| v.parse().ok()).unwrap_or(0);
        s.player.clamp(len);
        s
    }
}

impl CalcInputs {
    /// Keeps digits only (what the URL may carry).
    pub fn sanitize(v: &str) -> String {
        digits(v)
    }
}

impl PoolSettings {
    /// The query that restores these settings ("" for the defaults).
    pub fn to_query(&self) -> String {
        let d = PoolSettings::default();
        let mut q: Vec<(&str, String)> = Vec::new();
        if self.source != d.source {
            q.push(("in", self.source.key().into()));
        }
        if self.kind != d.kind {
            let key = KINDS
                .iter()
                .find(|(k, _, _)| *k == self.kind)
                .map_or("max", |(_, key, _)| *key);
            q.push(("op", key.into()));
        }
        for (k, v, dv) in [
            ("f", self.window, d.window),
            ("s", self.stride, d.stride),
            ("p", self.padding, d.padding),
            ("i", self.player.step, d.player.step),
        ] {
            if v != dv {
                q.push((k, v.to_string()));
            }
        }
        if self.player.speed != d.player.speed {
            q.push(("v", self.player.speed.to_string()));
        }
        join(q)
    }

    /// Settings from a query; anything missing or malformed keeps its default.
    pub fn from_query(query: &str) -> Self {
        let mut s = PoolSettings::default();
        let pairs = pairs(query);
        let get = |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        if let Some(src) = get("in").and_then(PoolSource::from_key) {
            s.source = src;
        }
        if let Some((kind, _, _)) =
            get("op").and_then(|v| KINDS.iter().find(|(_, key, _)| *key == v))
        {
            s.kind = *kind;
        }
        let num =
            |key: &str, default: usize| get(key).and_then(|v| small(v, 16)).unwrap_or(default);
        s.window = num("f", s.window);
        s.stride = num("s", s.stride);
        s.padding = num("p", s.padding);
        if let Some(v) = get("v")
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|v| SPEEDS.contains(v))
        {
            s.player.speed = v;
        }
        let len = s.step_count();
        s.player.step = get("i").and_then(|v| v.parse().ok()).unwrap_or(0);
        s.player.clamp(len);
        s
    }
}

/// Whether `kind` is max pooling (for the argmax highlight).
pub fn is_max(kind: PoolKind) -> bool {
    kind == PoolKind::Max
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::conv::ConvAction;
    use crate::lab::pool::PoolAction;

    #[test]
    fn defaults_write_an_empty_query() {
        assert_eq!(ConvSettings::default().to_query(), "");
        assert_eq!(PoolSettings::default().to_query(), "");
        assert_eq!(ConvSettings::from_query(""), ConvSettings::default());
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
        assert_eq!(ConvSettings::from_query(&q), s, "{q}");
        let mut s = ConvSettings::default();
        s.apply(ConvAction::Preset(Preset::SobelX));
        s.apply(ConvAction::Transposed(true));
        assert_eq!(ConvSettings::from_query(&s.to_query()), s);
    }

    #[test]
    fn pool_settings_round_trip_and_garbage_is_ignored() {
        let mut s = PoolSettings::default();
        s.apply(PoolAction::Kind(PoolKind::Average));
        s.apply(PoolAction::Window(3));
        s.apply(PoolAction::Stride(1));
        assert_eq!(PoolSettings::from_query(&s.to_query()), s);
        assert_eq!(
            PoolSettings::from_query("f=x&s=&op=zzz&i=-1"),
            PoolSettings::default()
        );
        assert_eq!(query_of("#/pooling?f=3&s=1"), "f=3&s=1");
    }
}
