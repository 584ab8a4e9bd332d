//! The Explain panel's settings (method, classes, patch, noise, layer) and their URL
//! query, so a reload or a shared link shows the same explanation.

use convscope_core::data::IMAGE_SIZE;
use convscope_core::format::parse_f32;

use crate::agent::ExplainRequest;
use crate::url::Query;

/// The explanation methods, in menu order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The input gradient.
    Saliency,
    /// The input gradient averaged over noisy copies.
    SmoothGrad,
    /// The sliding gray patch.
    Occlusion,
    /// Grad-CAM at a convolution layer.
    GradCam,
}

impl Method {
    /// Every method, in menu order.
    pub const ALL: [Self; 4] = [
        Self::Saliency,
        Self::SmoothGrad,
        Self::Occlusion,
        Self::GradCam,
    ];

    /// Its key in menus and in the URL.
    pub fn key(self) -> &'static str {
        match self {
            Self::Saliency => "saliency",
            Self::SmoothGrad => "smoothgrad",
            Self::Occlusion => "occlusion",
            Self::GradCam => "gradcam",
        }
    }

    /// Its menu label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Saliency => "saliency (input gradient)",
            Self::SmoothGrad => "SmoothGrad (noisy copies)",
            Self::Occlusion => "occlusion (a sliding gray patch)",
            Self::GradCam => "Grad-CAM (a convolution layer)",
        }
    }
}

/// What the visitor set.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainSettings {
    /// The method.
    pub method: Method,
    /// The class explained (`None`: the predicted one).
    pub class: Option<usize>,
    /// The class compared with ("why 3 and not 8?").
    pub versus: Option<usize>,
    /// Occlusion's patch side F.
    pub patch: usize,
    /// Occlusion's stride S.
    pub stride: usize,
    /// SmoothGrad's noise σ.
    pub sigma: f32,
    /// SmoothGrad's number of noisy copies.
    pub count: usize,
    /// Grad-CAM's layer (`None`: the last convolution).
    pub layer: Option<String>,
}

impl Default for ExplainSettings {
    fn default() -> Self {
        Self {
            method: Method::Saliency,
            class: None,
            versus: None,
            patch: 8,
            stride: 2,
            sigma: 0.15,
            count: 20,
            layer: None,
        }
    }
}

impl ExplainSettings {
    /// The worker's request for the predicted class `top` and the model's last conv layer.
    pub fn request(&self, top: usize, last_conv: Option<&String>) -> Option<ExplainRequest> {
        let class = self.class.unwrap_or(top);
        let versus = self.versus.filter(|&v| v != class);
        Some(match self.method {
            Method::Saliency => ExplainRequest::Saliency {
                class,
                versus,
                smooth: None,
            },
            Method::SmoothGrad => ExplainRequest::Saliency {
                class,
                versus,
                smooth: Some((self.sigma, self.count)),
            },
            Method::Occlusion => ExplainRequest::Occlusion {
                class,
                patch: self.patch,
                stride: self.stride,
            },
            Method::GradCam => ExplainRequest::GradCam {
                class,
                versus,
                layer: self.layer.clone().or_else(|| last_conv.cloned())?,
            },
        })
    }

    /// Reads the settings from a query (`explain=occlusion&patch=6&stride=1`); what is
    /// missing or malformed keeps its default.
    pub fn from_query(q: &Query) -> Self {
        let d = Self::default();
        let float =
            |key: &str, lo: f32, hi: f32| q.get(key).and_then(parse_f32).map(|x| x.clamp(lo, hi));
        Self {
            method: Method::ALL
                .into_iter()
                .find(|m| q.get("explain") == Some(m.key()))
                .unwrap_or(d.method),
            class: q.number("class", 999),
            versus: q.number("versus", 999),
            patch: q
                .number("patch", IMAGE_SIZE)
                .filter(|&n| n > 0)
                .unwrap_or(d.patch),
            stride: q
                .number("stride", IMAGE_SIZE)
                .filter(|&n| n > 0)
                .unwrap_or(d.stride),
            sigma: float("sigma", 0.0, 1.0).unwrap_or(d.sigma),
            count: q
                .number("copies", 200)
                .filter(|&n| n > 0)
                .unwrap_or(d.count),
            layer: q
                .get("layer")
                .filter(|l| !l.is_empty() && l.len() <= 64)
                .map(str::to_owned),
        }
    }

    /// The query of the settings that differ from the defaults.
    pub fn to_query(&self) -> Query {
        let d = Self::default();
        let mut q = Query::new();
        if self.method != d.method {
            q.push("explain", self.method.key());
        }
        if let Some(c) = self.class {
            q.push("class", c.to_string());
        }
        if let Some(v) = self.versus {
            q.push("versus", v.to_string());
        }
        if self.patch != d.patch {
            q.push("patch", self.patch.to_string());
        }
        if self.stride != d.stride {
            q.push("stride", self.stride.to_string());
        }
        if self.sigma != d.sigma {
            q.push("sigma", self.sigma.to_string());
        }
        if self.count != d.count {
            q.push("copies", self.count.to_string());
        }
        if let Some(l) = &self.layer {
            q.push("layer", l.clone());
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_through_the_query() {
        assert!(ExplainSettings::default().to_query().is_empty());
        let s = ExplainSettings {
            method: Method::Occlusion,
            class: Some(3),
            versus: Some(8),
            patch: 6,
            stride: 1,
            sigma: 0.3,
            count: 50,
            layer: Some("block1.conv2".into()),
        };
        let q = s.to_query();
        assert_eq!(ExplainSettings::from_query(&q), s);
        assert_eq!(
            ExplainSettings::from_query(&Query::plain(
                "explain=nonsense&patch=0&stride=99&sigma=NaN&copies=-1"
            )),
            ExplainSettings::default()
        );
    }
}
