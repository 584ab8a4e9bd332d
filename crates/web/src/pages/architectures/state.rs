//! Pure state of the architectures page: which network, which input size, which layer is
//! selected and which residual blocks are open — and how that round-trips through the URL
//! hash's query (`#/architectures?net=alexnet_lecture&input=227x227x3`). No UI code; every
//! number comes from `convscope_core::arch`.

use std::collections::BTreeSet;
use std::rc::Rc;

use convscope_core::arch::{LayerReport, NetworkReport, Volume, zoo};
use yew::Reducible;

use crate::url::Query;

/// The network the page opens with: the lecture's AlexNet table.
pub const DEFAULT_NET: &str = "alexnet_lecture";

/// Which path of a residual block a sub-layer sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Branch {
    /// The main path (convolutions, batch norms, ReLUs).
    Main,
    /// The projection shortcut (1×1 convolution + batch norm).
    Shortcut,
}

impl Branch {
    /// The word shown in the table and used in keys.
    pub fn label(self) -> &'static str {
        match self {
            Branch::Main => "main",
            Branch::Shortcut => "shortcut",
        }
    }
}

/// Where a layer is in a report: a top-level index, and for a residual block's sub-layer
/// its path and index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LayerPath {
    /// Index among the report's top-level layers.
    pub index: usize,
    /// The sub-layer inside a residual block, if any.
    pub sub: Option<(Branch, usize)>,
}

impl LayerPath {
    /// A top-level layer.
    pub const fn top(index: usize) -> Self {
        Self { index, sub: None }
    }

    /// A sub-layer of the residual block at `index`.
    pub const fn inner(index: usize, branch: Branch, sub: usize) -> Self {
        Self {
            index,
            sub: Some((branch, sub)),
        }
    }

    /// The layer this path names in `report`, or `None` if it has no such layer.
    pub fn resolve(self, report: &NetworkReport) -> Option<&LayerReport> {
        let top = report.layers.get(self.index)?;
        match self.sub {
            None => Some(top),
            Some((Branch::Main, i)) => top.main.get(i),
            Some((Branch::Shortcut, i)) => top.shortcut.get(i),
        }
    }

    /// The layer's full name as error messages write it: `CONV1`, `layer2.0.conv1`.
    pub fn full_name(self, report: &NetworkReport) -> Option<String> {
        let top = report.layers.get(self.index)?;
        match self.sub {
            None => Some(top.name.clone()),
            Some(_) => Some(format!("{}.{}", top.name, self.resolve(report)?.name)),
        }
    }
}

/// The path of the layer called `full_name` (`CONV1`, `layer2.0.conv1`) in `report`.
pub fn find_path(report: &NetworkReport, full_name: &str) -> Option<LayerPath> {
    report.layers.iter().enumerate().find_map(|(i, top)| {
        if top.name == full_name {
            return Some(LayerPath::top(i));
        }
        let rest = full_name.strip_prefix(&top.name)?.strip_prefix('.')?;
        [(Branch::Main, &top.main), (Branch::Shortcut, &top.shortcut)]
            .into_iter()
            .find_map(|(branch, list)| {
                let j = list.iter().position(|l| l.name == rest)?;
                Some(LayerPath::inner(i, branch, j))
            })
    })
}

/// Why the typed input size cannot be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    /// The core's message: a parse error, or `MAX POOL3: 3×3 window is larger than its 2×2 input`.
    pub message: String,
    /// The layer that breaks (`MAX POOL3`, `layer4.0.conv1`), when a layer breaks.
    pub layer: Option<String>,
}

/// Everything the page shows, as plain data.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchLab {
    /// The zoo name of the network (one of [`zoo::NAMES`]).
    pub net: &'static str,
    /// The input size as typed (`227x227x3`).
    pub input_text: String,
    /// The last evaluation that succeeded for `net` (the table keeps showing it while the
    /// typed size is invalid). `None` only if the network fails at its own input.
    pub report: Option<Rc<NetworkReport>>,
    /// Why `input_text` cannot be shown, if it cannot.
    pub problem: Option<InputProblem>,
    /// The selected layer, if any.
    pub selected: Option<LayerPath>,
    /// Top-level indices of the residual blocks shown open.
    pub expanded: BTreeSet<usize>,
}

/// What the user can do on the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchAction {
    /// Show another network (any spelling [`zoo::by_name`] accepts), at its own input size.
    PickNet(String),
    /// The input text field changed.
    EditInput(String),
    /// Back to the network's own input size.
    ResetInput,
    /// Select a layer (selecting the selected layer keeps it selected).
    Select(LayerPath),
    /// Open or close a residual block.
    Toggle(usize),
    /// Open every residual block.
    ExpandAll,
    /// Close every residual block.
    CollapseAll,
    /// The URL's query changed (a pasted or followed link): apply its network and input.
    Query(Query),
}

/// The zoo's canonical name for `name` (ignoring case, `-`, `_` and spaces).
pub fn canonical(name: &str) -> Option<&'static str> {
    let arch = zoo::by_name(name)?;
    zoo::NAMES.iter().copied().find(|n| *n == arch.name)
}

/// The input volume `net` was designed for (`227x227x3` for the lecture's AlexNet).
pub fn default_input(net: &str) -> Option<Volume> {
    zoo::by_name(net).map(|a| a.input)
}

/// A short human name for a zoo network: `AlexNet (lecture)`, `VGG-16 + BN`, `ResNet-50`.
pub fn label(net: &str) -> String {
    match net {
        "lenet5" => "LeNet-5".to_owned(),
        "alexnet_lecture" => "AlexNet (lecture)".to_owned(),
        "alexnet" => "AlexNet (torchvision)".to_owned(),
        _ => {
            let (base, bn) = match net.strip_suffix("_bn") {
                Some(base) => (base, " + BN"),
                None => (net, ""),
            };
            let family = [("vgg", "VGG"), ("resnet", "ResNet")]
                .into_iter()
                .find_map(|(prefix, name)| Some((name, base.strip_prefix(prefix)?)));
            match family {
                Some((name, depth)) => format!("{name}-{depth}{bn}"),
                None => net.to_owned(),
            }
        }
    }
}

/// The family a network belongs to, for grouping the picker: `LeNet`, `AlexNet`, `VGG`,
/// `ResNet`, or `Other`.
pub fn family(net: &str) -> &'static str {
    [
        ("lenet", "LeNet"),
        ("alexnet", "AlexNet"),
        ("vgg", "VGG"),
        ("resnet", "ResNet"),
    ]
    .into_iter()
    .find(|(prefix, _)| net.starts_with(prefix))
    .map_or("Other", |(_, family)| family)
}

/// Every zoo network grouped by family, in the zoo's order.
pub fn groups() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut groups: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for &net in zoo::NAMES {
        let fam = family(net);
        match groups.iter_mut().find(|(f, _)| *f == fam) {
            Some((_, nets)) => nets.push(net),
            None => groups.push((fam, vec![net])),
        }
    }
    groups
}

impl ArchLab {
    /// The page for `net` (falling back to [`DEFAULT_NET`]) at `input` (falling back to the
    /// network's own size).
    pub fn new(net: &str, input: Option<&str>) -> Self {
        let net = canonical(net).unwrap_or(DEFAULT_NET);
        let default = default_input(net)
            .map(|v| v.to_string())
            .unwrap_or_default();
        let mut lab = Self {
            net,
            input_text: default.clone(),
            report: None,
            problem: None,
            selected: None,
            expanded: BTreeSet::new(),
        };
        // Evaluate the network's own size first, so an invalid query still leaves a table.
        lab.evaluate();
        if let Some(text) = input.filter(|t| *t != default) {
            lab.input_text = text.to_owned();
            lab.evaluate();
        }
        lab
    }

    /// The page a URL query describes; unknown networks and missing keys take defaults.
    pub fn from_query(query: &Query) -> Self {
        let net = query.get("net").unwrap_or(DEFAULT_NET);
        let layer = query.get("layer").map(str::to_owned);
        let lab = Self::new(net, query.get("input"));
        let path = lab
            .report
            .as_deref()
            .zip(layer)
            .and_then(|(report, name)| find_path(report, &name));
        match path {
            Some(path) => lab.apply(ArchAction::Select(path)),
            None => lab,
        }
    }

    /// The query that restores the network, input and selected layer
    /// (`net=vgg16&input=224x224x3&layer=conv1_1`); empty while the page shows its defaults
    /// (a plain `#/architectures` link stays plain). An input that parses is written even if
    /// it breaks a layer, so a reload shows the same message.
    pub fn to_query(&self) -> Query {
        let input = self
            .input_text
            .parse::<Volume>()
            .ok()
            .or_else(|| self.report.as_ref().map(|r| r.input))
            .or_else(|| default_input(self.net));
        let selected = self
            .report
            .as_deref()
            .zip(self.selected)
            .and_then(|(report, path)| path.full_name(report));
        let mut query = Query::new();
        if self.net == DEFAULT_NET && input == default_input(self.net) && selected.is_none() {
            return query;
        }
        query.push("net", self.net);
        if let Some(v) = input {
            query.push("input", v.to_string());
        }
        if let Some(name) = selected {
            query.push("layer", name);
        }
        query
    }

    /// The selected layer's report, if a layer is selected and exists.
    pub fn selected_layer(&self) -> Option<&LayerReport> {
        let report = self.report.as_deref()?;
        self.selected?.resolve(report)
    }

    /// Re-evaluates `net` for `input_text`, keeping the last good report on failure.
    fn evaluate(&mut self) {
        let Some(arch) = zoo::by_name(self.net) else {
            self.problem = Some(InputProblem {
                message: format!("{} is not in the zoo", self.net),
                layer: None,
            });
            return;
        };
        let input = match self.input_text.parse::<Volume>() {
            Ok(v) => v,
            Err(e) => {
                self.problem = Some(InputProblem {
                    message: e.to_string(),
                    layer: None,
                });
                return;
            }
        };
        match arch.evaluate_with_input(input) {
            Ok(report) => {
                self.report = Some(Rc::new(report));
                self.problem = None;
            }
            Err(e) => {
                self.problem = Some(InputProblem {
                    message: e.to_string(),
                    layer: Some(e.layer),
                });
            }
        }
    }

    /// Applies one action (the pure core of [`Reducible::reduce`]).
    #[must_use]
    pub fn apply(&self, action: ArchAction) -> Self {
        match action {
            ArchAction::PickNet(name) => match canonical(&name) {
                Some(net) if net != self.net => Self::new(net, None),
                _ => self.clone(),
            },
            ArchAction::EditInput(text) => {
                let mut next = self.clone();
                next.input_text = text;
                next.evaluate();
                next
            }
            ArchAction::ResetInput => {
                let mut next = self.clone();
                next.input_text = default_input(self.net)
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                next.evaluate();
                next
            }
            ArchAction::Select(path) => {
                let exists = self
                    .report
                    .as_deref()
                    .is_some_and(|r| path.resolve(r).is_some());
                let mut next = self.clone();
                if exists {
                    next.selected = Some(path);
                    if path.sub.is_some() {
                        next.expanded.insert(path.index);
                    }
                }
                next
            }
            ArchAction::Toggle(index) => {
                let mut next = self.clone();
                if !next.expanded.remove(&index) {
                    next.expanded.insert(index);
                }
                next
            }
            ArchAction::ExpandAll => {
                let mut next = self.clone();
                if let Some(report) = &self.report {
                    // Inserted one by one: collecting a set sorts first (a sort's code in
                    // the wasm for this alone).
                    next.expanded.clear();
                    next.expanded.extend(
                        (report.layers.iter().enumerate())
                            .filter(|(_, l)| !l.main.is_empty())
                            .map(|(i, _)| i),
                    );
                }
                next
            }
            ArchAction::CollapseAll => {
                let mut next = self.clone();
                next.expanded.clear();
                next
            }
            ArchAction::Query(query) => {
                let wanted = Self::from_query(&query);
                if wanted.to_query() == self.to_query() {
                    self.clone()
                } else {
                    wanted
                }
            }
        }
    }
}

impl Default for ArchLab {
    fn default() -> Self {
        Self::new(DEFAULT_NET, None)
    }
}

impl Reducible for ArchLab {
    type Action = ArchAction;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_on_the_lecture_alexnet_at_227() {
        let lab = ArchLab::default();
        assert_eq!(lab.net, "alexnet_lecture");
        assert_eq!(lab.input_text, "227x227x3");
        assert_eq!(lab.problem, None);
        let report = lab.report.as_deref().map(|r| r.layers[0].output_label());
        assert_eq!(report.as_deref(), Some("55x55x96"));
    }

    #[test]
    fn the_query_round_trips() {
        let lab = ArchLab::default()
            .apply(ArchAction::PickNet("ResNet-50".into()))
            .apply(ArchAction::EditInput("320x320x3".into()));
        assert_eq!(lab.to_query(), Query::plain("net=resnet50&input=320x320x3"));
        assert!(
            ArchLab::default().to_query().is_empty(),
            "defaults: a bare link"
        );
        let back = ArchLab::from_query(&lab.to_query());
        assert_eq!(
            (back.net, back.input_text.as_str()),
            ("resnet50", "320x320x3")
        );
        assert_eq!(back.problem, None);
        // Dashes and `×` are accepted (the browser decodes the percent-encoding).
        let dashed = ArchLab::from_query(&Query::from_pairs([
            ("net", "alexnet-lecture"),
            ("input", "227×227×3"),
        ]));
        assert_eq!(dashed.net, "alexnet_lecture");
        assert_eq!(dashed.problem, None);
    }

    #[test]
    fn the_selected_layer_round_trips_too() {
        let lab = ArchLab::default().apply(ArchAction::Select(LayerPath::top(1)));
        assert_eq!(
            lab.to_query(),
            Query::from_pairs([
                ("net", "alexnet_lecture"),
                ("input", "227x227x3"),
                ("layer", "MAX POOL1")
            ])
        );
        assert_eq!(ArchLab::from_query(&lab.to_query()).selected, lab.selected);
        let inner = ArchLab::from_query(&Query::plain("net=resnet50&layer=layer4.0.downsample.1"));
        assert_eq!(
            inner.selected,
            Some(LayerPath::inner(17, Branch::Shortcut, 1))
        );
        assert!(inner.expanded.contains(&17));
        let unknown = ArchLab::from_query(&Query::plain("net=resnet50&layer=nope"));
        assert_eq!(unknown.selected, None);
    }

    #[test]
    fn a_size_that_breaks_a_layer_names_it_and_keeps_the_last_table() {
        let lab = ArchLab::default().apply(ArchAction::EditInput("60x60x3".into()));
        let problem = lab
            .problem
            .clone()
            .unwrap_or_else(|| panic!("60x60x3 must fail"));
        assert_eq!(
            problem.message,
            "MAX POOL3: 3×3 window is larger than its 2×2 input"
        );
        assert_eq!(problem.layer.as_deref(), Some("MAX POOL3"));
        assert_eq!(
            lab.report.as_deref().map(|r| r.input),
            Some(Volume::new(227, 227, 3))
        );
        // It survives a reload: the query keeps the breaking size.
        assert_eq!(
            lab.to_query(),
            Query::plain("net=alexnet_lecture&input=60x60x3")
        );
        assert_eq!(ArchLab::from_query(&lab.to_query()).problem, Some(problem));
    }

    #[test]
    fn a_malformed_size_shows_the_parse_error() {
        let lab = ArchLab::default().apply(ArchAction::EditInput("227x227".into()));
        let message = lab.problem.map(|p| p.message).unwrap_or_default();
        assert!(message.contains("expected HxWxC"), "{message}");
        assert!(lab.report.is_some());
        let lab = ArchLab::from_query(&Query::plain("net=nonsense&input=banana"));
        assert_eq!(lab.net, DEFAULT_NET);
        assert!(lab.problem.is_some());
    }

    #[test]
    fn picking_a_network_resets_input_selection_and_blocks() {
        let lab = ArchLab::default()
            .apply(ArchAction::EditInput("300x300x3".into()))
            .apply(ArchAction::Select(LayerPath::top(0)))
            .apply(ArchAction::PickNet("resnet18".into()));
        assert_eq!(lab.input_text, "224x224x3");
        assert_eq!(lab.selected, None);
        let lab = lab.apply(ArchAction::ExpandAll);
        assert_eq!(lab.expanded.len(), 8);
        let path = LayerPath::inner(8, Branch::Shortcut, 0);
        let lab = lab
            .apply(ArchAction::CollapseAll)
            .apply(ArchAction::Select(path));
        assert_eq!(lab.selected, Some(path));
        assert!(
            lab.expanded.contains(&8),
            "selecting a sub-layer opens its block"
        );
        assert_eq!(
            lab.report
                .as_deref()
                .and_then(|r| path.full_name(r))
                .as_deref(),
            Some("layer3.0.downsample.0")
        );
        // A path that does not exist is ignored.
        let same = lab.apply(ArchAction::Select(LayerPath::top(999)));
        assert_eq!(same.selected, Some(path));
    }

    #[test]
    fn every_zoo_network_has_a_family_and_a_label() {
        let grouped: Vec<&str> = groups().into_iter().flat_map(|(_, n)| n).collect();
        assert_eq!(grouped, zoo::NAMES);
        assert!(groups().iter().all(|(f, _)| *f != "Other"));
        assert_eq!(label("vgg16_bn"), "VGG-16 + BN");
        assert_eq!(label("resnet152"), "ResNet-152");
        assert_eq!(label("alexnet"), "AlexNet (torchvision)");
    }
}
