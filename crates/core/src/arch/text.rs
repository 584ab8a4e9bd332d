//! The one-line text form of an [`Architecture`], for people to type.
//!
//! ```text
//! input 28x28x1, conv 6 5x5 pad 2, relu, maxpool 2, conv 16 5x5, relu, maxpool 2,
//! flatten, linear 120, relu, linear 84, relu, linear 10
//! ```
//!
//! Layers are separated by commas; the optional first item `input HxWxC` sets the input
//! volume (28x28x1 when absent). Each layer is one of:
//!
//! | text | layer |
//! |---|---|
//! | `conv K FxF [stride S] [pad P] [dilation D] [groups G] [nobias]` | convolution (`F` alone works too) |
//! | `maxpool F [stride S] [pad P]`, `avgpool …`, `sumpool …` | pooling (stride defaults to F) |
//! | `relu`, `tanh`, `sigmoid`, `identity`, `leaky_relu`, `leaky_relu:0.1` | activation |
//! | `bn` (or `batchnorm`) | batch normalisation |
//! | `dropout P` | dropout with probability P |
//! | `lrn N` | local response normalisation over N channels |
//! | `flatten` | flatten |
//! | `linear N [nobias]` | fully connected |
//! | `adaptiveavgpool HxW` (or `N`) | adaptive average pooling |
//! | `basic(layers)`, `basic(layers | shortcut)`, `bottleneck(…)` | residual block (identity shortcut when none is given) |
//!
//! Blocks may nest inside blocks, at most [`MAX_BLOCK_NESTING`] deep.
//!
//! Every layer has a name. Unnamed layers get PyTorch-style names by kind and position:
//! `conv1`, `conv2`, `bn1`, `fc1` for linear layers, `pool1` for pooling, `relu1` (an
//! activation's name and its count among activations; inside a block `relu`, then `relu2`,
//! as torchvision's blocks name it), `dropout1`, `lrn1`, `flatten`
//! (`flatten2` for a second), `avgpool` for adaptive pooling, `block1` for residual blocks,
//! and `downsample.0`, `downsample.1` … inside a shortcut. Another name is written before the
//! layer with `=`: `classifier=linear 10`, in double quotes when it holds other characters
//! than letters, digits, `_`, `-` and `.` (`"MAX POOL1"=maxpool 3 stride 2`). Names become the weights' tensor names
//! (`conv1.weight`, `block1.conv1.weight`).
//!
//! [`Architecture::to_text`] writes this form (omitting the names the parser would give
//! anyway) and [`Architecture::from_text`] reads it: the two round-trip. A malformed line
//! gives a [`TextError`] with the column (counted in characters from 1) and what was expected
//! there. [`Architecture::parse_description`] also takes the JSON (serde) form.

use std::collections::HashMap;
use std::fmt::Write as _;

use thiserror::Error;

use super::{Activation, Architecture, BlockKind, Conv, Layer, Linear, Op, Pool, Residual, Volume};
use crate::activation::EXPECTED_ACTIVATIONS;
use crate::format::parse_f64;
use crate::pool::PoolKind;

/// The input volume assumed when the text names none: a 28×28 grayscale image.
pub const DEFAULT_INPUT: Volume = Volume::new(28, 28, 1);

/// How deep residual blocks may nest inside one another (ResNets nest one level). The
/// parser, the evaluation and the network recurse once per level; without a limit a line of
/// 18 KB (`basic(basic(…`, 3,000 levels) overflowed a 2 MiB native stack, and the browser's
/// 1 MiB wasm stack sooner.
pub const MAX_BLOCK_NESTING: usize = 16;

/// How many layers a description may have in all (a block's inner layers count; ResNet-152
/// has 464). Every page that shows a network draws a row, a chart or a map per layer: a
/// pasted line of 10,000 layers took the Train page over a second to check and draw, and
/// a weights file describing them stalled the Classify page for more than five.
pub const MAX_LAYERS: usize = 1_000;

/// Why a line is not a network description. Displays as
/// `column 14: expected a filter size such as 5x5, found 'relu'`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("column {column}: expected {expected}, found {found}")]
pub struct TextError {
    /// Where, in characters from 1.
    pub column: usize,
    /// What the parser expected there.
    pub expected: String,
    /// What it found (`'word'`, or `the end of the line`).
    pub found: String,
}

/// Why a description (text or JSON) cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DescriptionError {
    /// The text form is malformed.
    #[error("{0}")]
    Text(#[from] TextError),
    /// The JSON form is malformed.
    #[error("not a valid network description in JSON: {0}")]
    Json(String),
    /// More than [`MAX_LAYERS`] layers in all.
    #[error(
        "the network has {layers} layers (counting those inside blocks); at most {MAX_LAYERS} layers are accepted"
    )]
    TooManyLayers {
        /// How many (at least; counting stops past the limit).
        layers: usize,
    },
    /// Residual blocks nested deeper than [`MAX_BLOCK_NESTING`].
    #[error(
        "block '{block}' is nested {depth} blocks deep; at most {MAX_BLOCK_NESTING} blocks may nest"
    )]
    TooDeep {
        /// The innermost block's path (`block1.block1`).
        block: String,
        /// Its depth (1 for a block of the network itself).
        depth: usize,
    },
    /// A layer name the text form cannot write (empty, or holding a double quote), or one
    /// that another layer of the same sequence already has (a block's main path and its
    /// shortcut count as one sequence: their names become the same tensors' prefixes).
    #[error("layer {position} of {sequence} is named {name:?}: {reason}")]
    Name {
        /// `the network`, or `block 'block1'` (its main path, then its shortcut).
        sequence: String,
        /// From 1 within that sequence.
        position: usize,
        /// The name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl Architecture {
    /// Parses the text form (see the module documentation). The result is named `custom`.
    ///
    /// # Errors
    /// A [`TextError`] with the column and what was expected there.
    pub fn from_text(line: &str) -> Result<Self, TextError> {
        let tokens = tokenize(line);
        let mut p = Parser {
            tokens,
            pos: 0,
            end: line.chars().count() + 1,
            depth: 0,
            layers: 0,
        };
        let input = if p.peek_word().as_deref() == Some("input") {
            p.bump();
            let t = p.expect_any("an input volume such as 28x28x1")?;
            let v = t
                .text
                .parse::<Volume>()
                .map_err(|_| p.error_at(&t, "an input volume such as 28x28x1"))?;
            if !p.at_end() {
                p.expect_punct(',', "',' after the input volume")?;
            }
            v
        } else {
            DEFAULT_INPUT
        };
        let layers = if p.at_end() {
            Vec::new()
        } else {
            p.sequence(Scope::Top, &[])?
        };
        if let Some(t) = p.tokens.get(p.pos).cloned() {
            return Err(p.error_at(&t, "',' between layers"));
        }
        Ok(Self {
            name: "custom".to_owned(),
            title: "Your network".to_owned(),
            input,
            layers,
        })
    }

    /// The text form: one line that [`Architecture::from_text`] reads back to the same
    /// input and layers.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut out = format!("input {}", self.input);
        if !self.layers.is_empty() {
            out.push_str(", ");
            write_sequence(&mut out, &self.layers, Scope::Top);
        }
        out
    }

    /// Reads a description in either form: JSON when it starts with `{`, the text form
    /// otherwise.
    ///
    /// # Errors
    /// [`DescriptionError`] saying what is wrong, with the column for the text form.
    pub fn parse_description(s: &str) -> Result<Self, DescriptionError> {
        if s.trim_start().starts_with('{') {
            Self::from_json(s)
        } else {
            Ok(Self::from_text(s)?)
        }
    }

    /// Reads the JSON (serde) form and checks its names as the text form does
    /// ([`Architecture::check_names`]), so that what it reads prints as text that reads back.
    ///
    /// # Errors
    /// [`DescriptionError::Json`] for malformed JSON, [`DescriptionError::Name`] for a name
    /// the text form would refuse.
    pub fn from_json(s: &str) -> Result<Self, DescriptionError> {
        let arch: Self =
            serde_json::from_str(s).map_err(|e| DescriptionError::Json(e.to_string()))?;
        arch.check_names()?;
        Ok(arch)
    }

    /// Checks what the text form's parser enforces on names and nesting, for a description
    /// built otherwise (JSON, code): no name is empty or holds a double quote, no two layers
    /// of one sequence share a name (a block's main path and shortcut count as one), and
    /// blocks nest at most [`MAX_BLOCK_NESTING`] deep.
    ///
    /// # Errors
    /// [`DescriptionError::Name`] naming the sequence, the layer's position and the name;
    /// [`DescriptionError::TooDeep`].
    pub fn check_names(&self) -> Result<(), DescriptionError> {
        let top: Vec<&Layer> = self.layers.iter().collect();
        check_names_in(&top, "", "the network", 0)?;
        let layers = count_layers(&self.layers);
        if layers > MAX_LAYERS {
            return Err(DescriptionError::TooManyLayers { layers });
        }
        Ok(())
    }
}

fn check_names_in(
    layers: &[&Layer],
    prefix: &str,
    sequence: &str,
    depth: usize,
) -> Result<(), DescriptionError> {
    // First position of each name: a map, not a scan (10,000 layers would take 10⁸ compares).
    let mut first_of: HashMap<&str, usize> = HashMap::with_capacity(layers.len());
    for (i, layer) in layers.iter().enumerate() {
        let fail = |reason: String| DescriptionError::Name {
            sequence: sequence.to_owned(),
            position: i + 1,
            name: layer.name.clone(),
            reason,
        };
        if layer.name.is_empty() {
            return Err(fail("every layer needs a name".to_owned()));
        }
        if layer.name.contains('"') {
            return Err(fail(
                "the text form cannot write a double quote in a name".to_owned(),
            ));
        }
        if let Some(&first) = first_of.get(layer.name.as_str()) {
            return Err(fail(format!(
                "layer {} already has this name; the names of one sequence must differ (they name its parameters)",
                first + 1
            )));
        }
        first_of.insert(&layer.name, i);
        if let Op::Residual(r) = &layer.op {
            let path = format!("{prefix}{}", layer.name);
            if depth >= MAX_BLOCK_NESTING {
                return Err(DescriptionError::TooDeep {
                    block: path,
                    depth: depth + 1,
                });
            }
            let inner: Vec<&Layer> = r.main.iter().chain(&r.shortcut).collect();
            check_names_in(
                &inner,
                &format!("{path}."),
                &format!("block '{path}'"),
                depth + 1,
            )?;
        }
    }
    Ok(())
}

/// Layers in all, a block's inner layers included (call after the nesting is checked).
fn count_layers(layers: &[Layer]) -> usize {
    layers
        .iter()
        .map(|l| match &l.op {
            Op::Residual(r) => 1 + count_layers(&r.main) + count_layers(&r.shortcut),
            _ => 1,
        })
        .sum()
}

// ---------------------------------------------------------------- names

/// Where a sequence sits: names inside a shortcut follow torchvision (`downsample.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Top,
    Main,
    Shortcut,
}

/// Counts layers by kind along one sequence and gives each its automatic name.
#[derive(Debug, Default)]
struct Namer {
    conv: usize,
    pool: usize,
    act: usize,
    bn: usize,
    dropout: usize,
    lrn: usize,
    flatten: usize,
    fc: usize,
    adaptive: usize,
    block: usize,
    index: usize,
}

impl Namer {
    fn next(&mut self, op: &Op, scope: Scope) -> String {
        let i = self.index;
        self.index += 1;
        let numbered = |n: &mut usize, base: &str| {
            *n += 1;
            format!("{base}{n}")
        };
        let first_plain = |n: &mut usize, base: &str| {
            *n += 1;
            if *n == 1 {
                base.to_owned()
            } else {
                format!("{base}{n}")
            }
        };
        let name = match op {
            Op::Conv(_) => numbered(&mut self.conv, "conv"),
            Op::Pool { .. } => numbered(&mut self.pool, "pool"),
            Op::Activation { function } => {
                let base = match function {
                    Activation::LeakyRelu { .. } => "leaky_relu".to_owned(),
                    f => f.to_string(),
                };
                // Inside a block, torchvision's name: `relu`, then `relu2` ….
                if scope == Scope::Top {
                    numbered(&mut self.act, &base)
                } else {
                    first_plain(&mut self.act, &base)
                }
            }
            Op::BatchNorm => numbered(&mut self.bn, "bn"),
            Op::Dropout { .. } => numbered(&mut self.dropout, "dropout"),
            Op::LocalResponseNorm { .. } => numbered(&mut self.lrn, "lrn"),
            Op::Flatten => first_plain(&mut self.flatten, "flatten"),
            Op::Linear(_) => numbered(&mut self.fc, "fc"),
            Op::AdaptiveAvgPool { .. } => first_plain(&mut self.adaptive, "avgpool"),
            Op::Residual(_) => numbered(&mut self.block, "block"),
        };
        if scope == Scope::Shortcut {
            format!("downsample.{i}")
        } else {
            name
        }
    }
}

fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
        && !s.ends_with('.')
        && !s.contains("..")
}

// ---------------------------------------------------------------- printing

fn write_sequence(out: &mut String, layers: &[Layer], scope: Scope) {
    let mut namer = Namer::default();
    for (i, layer) in layers.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        if namer.next(&layer.op, scope) != layer.name {
            if valid_name(&layer.name) {
                let _ = write!(out, "{}=", layer.name);
            } else {
                let _ = write!(out, "\"{}\"=", layer.name);
            }
        }
        write_op(out, &layer.op);
    }
}

fn write_op(out: &mut String, op: &Op) {
    match op {
        Op::Conv(c) => {
            let _ = write!(out, "conv {} {}x{}", c.out_channels, c.kernel, c.kernel);
            for (word, value, default) in [
                ("stride", c.stride, 1),
                ("pad", c.padding, 0),
                ("dilation", c.dilation, 1),
                ("groups", c.groups, 1),
            ] {
                if value != default {
                    let _ = write!(out, " {word} {value}");
                }
            }
            if !c.bias {
                out.push_str(" nobias");
            }
        }
        Op::Pool { .. } => {
            let Some((kind, p)) = op.as_pool() else {
                return;
            };
            let _ = write!(out, "{}pool {}", kind.short(), p.kernel);
            if p.stride != p.kernel {
                let _ = write!(out, " stride {}", p.stride);
            }
            if p.padding != 0 {
                let _ = write!(out, " pad {}", p.padding);
            }
        }
        Op::Activation { function } => {
            let _ = write!(out, "{function}");
        }
        Op::BatchNorm => out.push_str("bn"),
        Op::Dropout { p } => {
            let _ = write!(out, "dropout {p}");
        }
        Op::LocalResponseNorm { size } => {
            let _ = write!(out, "lrn {size}");
        }
        Op::Flatten => out.push_str("flatten"),
        Op::Linear(l) => {
            let _ = write!(out, "linear {}", l.out_features);
            if !l.bias {
                out.push_str(" nobias");
            }
        }
        Op::AdaptiveAvgPool { h, w } => {
            let _ = write!(out, "adaptiveavgpool {h}x{w}");
        }
        Op::Residual(r) => {
            out.push_str(match r.block {
                BlockKind::Basic => "basic(",
                BlockKind::Bottleneck => "bottleneck(",
            });
            write_sequence(out, &r.main, Scope::Main);
            if !r.shortcut.is_empty() {
                out.push_str(" | ");
                write_sequence(out, &r.shortcut, Scope::Shortcut);
            }
            out.push(')');
        }
    }
}

// ---------------------------------------------------------------- tokens

#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    text: String,
    /// Column of the first character, from 1.
    column: usize,
    /// Written in double quotes (a name): never punctuation or a keyword.
    quoted: bool,
}

const PUNCT: [char; 5] = [',', '(', ')', '|', '='];

fn tokenize(line: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut current: Option<Token> = None;
    let mut quote: Option<Token> = None;
    for (i, ch) in line.chars().enumerate() {
        let column = i + 1;
        if let Some(q) = quote.as_mut() {
            if ch == '"' {
                tokens.extend(quote.take());
            } else {
                q.text.push(ch);
            }
            continue;
        }
        if ch == '"' {
            if let Some(t) = current.take() {
                tokens.push(t);
            }
            quote = Some(Token {
                text: String::new(),
                column,
                quoted: true,
            });
            continue;
        }
        if ch.is_whitespace() || PUNCT.contains(&ch) {
            if let Some(t) = current.take() {
                tokens.push(t);
            }
            if PUNCT.contains(&ch) {
                tokens.push(Token {
                    text: ch.to_string(),
                    column,
                    quoted: false,
                });
            }
        } else {
            current
                .get_or_insert_with(|| Token {
                    text: String::new(),
                    column,
                    quoted: false,
                })
                .text
                .push(ch);
        }
    }
    tokens.extend(current);
    // An unclosed quote keeps its text; the parser then finds no '=' after it.
    tokens.extend(quote);
    tokens
}

// ---------------------------------------------------------------- parsing

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// The column just past the line, for "found the end of the line".
    end: usize,
    /// Residual blocks open around the current token.
    depth: usize,
    /// Layers read so far, inside blocks too (at most [`MAX_LAYERS`]).
    layers: usize,
}

/// How many characters of a token a message quotes (a pasted megabyte stays out of it).
const QUOTED_CHARS: usize = 40;

fn describe(t: Option<&Token>) -> String {
    t.map_or_else(
        || "the end of the line".to_owned(),
        |t| {
            if t.text.chars().count() > QUOTED_CHARS {
                let head: String = t.text.chars().take(QUOTED_CHARS).collect();
                format!("'{head}…' ({} characters)", t.text.chars().count())
            } else {
                format!("'{}'", t.text)
            }
        },
    )
}

const LAYER_WORDS: &str = "a layer (conv, maxpool, avgpool, sumpool, relu, tanh, sigmoid, leaky_relu, batchnorm, dropout, lrn, flatten, linear, adaptiveavgpool, basic, bottleneck)";

impl Parser {
    fn at_end(&self) -> bool {
        self.pos >= self.tokens.len()
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    /// The next token as a keyword: lower case (`Input`, `NOBIAS` and `Stride` read as the
    /// layer words do), a quoted token as written.
    fn peek_word(&self) -> Option<String> {
        self.peek().map(|t| {
            if t.quoted {
                t.text.clone()
            } else {
                t.text.to_ascii_lowercase()
            }
        })
    }

    /// Refuses an option given a second time in one layer (`pad 2 pad 0`): the next token,
    /// `word`, is one of `given`, or is recorded there.
    fn once(&self, word: &str, given: &mut Vec<String>) -> Result<(), TextError> {
        if given.iter().any(|g| g == word) {
            let t = self.peek().cloned().unwrap_or(Token {
                text: word.to_owned(),
                column: self.end,
                quoted: false,
            });
            return Err(self.error_at(&t, &format!("each option once ({word} is given already)")));
        }
        given.push(word.to_owned());
        Ok(())
    }

    fn bump(&mut self) {
        self.pos += 1;
    }

    fn error_at(&self, t: &Token, expected: &str) -> TextError {
        TextError {
            column: t.column,
            expected: expected.to_owned(),
            found: describe(Some(t)),
        }
    }

    fn error_here(&self, expected: &str) -> TextError {
        TextError {
            column: self.peek().map_or(self.end, |t| t.column),
            expected: expected.to_owned(),
            found: describe(self.peek()),
        }
    }

    fn expect_any(&mut self, expected: &str) -> Result<Token, TextError> {
        match self.peek().cloned() {
            Some(t) if !is_punct(&t) => {
                self.pos += 1;
                Ok(t)
            }
            _ => Err(self.error_here(expected)),
        }
    }

    fn expect_punct(&mut self, p: char, expected: &str) -> Result<(), TextError> {
        if self.is_punct_here(p) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error_here(expected))
        }
    }

    fn is_punct_here(&self, p: char) -> bool {
        self.peek()
            .is_some_and(|t| is_punct(t) && t.text.starts_with(p))
    }

    fn number(&mut self, expected: &str) -> Result<usize, TextError> {
        let t = self.expect_any(expected)?;
        t.text.parse().map_err(|_| self.error_at(&t, expected))
    }

    /// `F`, `FxF` (square only) or, for adaptive pooling, `HxW`.
    fn size(&mut self, expected: &str, square: bool) -> Result<(usize, usize), TextError> {
        let t = self.expect_any(expected)?;
        let parts: Vec<&str> = t.text.split(['x', 'X', '×']).collect();
        let parsed: Option<Vec<usize>> = parts.iter().map(|p| p.parse().ok()).collect();
        match parsed.as_deref() {
            Some([f]) => Ok((*f, *f)),
            Some([h, w]) if !square || h == w => Ok((*h, *w)),
            Some([_, _]) => Err(self.error_at(&t, "a square size (FxF with the same F twice)")),
            _ => Err(self.error_at(&t, expected)),
        }
    }

    /// Layers separated by commas. `main` is a block's main path when this is its shortcut:
    /// both name tensors under the block, so a shortcut may not reuse a main path's name.
    fn sequence(&mut self, scope: Scope, main: &[Layer]) -> Result<Vec<Layer>, TextError> {
        let mut layers: Vec<Layer> = Vec::new();
        // Each name's position, so a long line is not checked in quadratic time.
        let mut positions: HashMap<String, usize> = HashMap::new();
        let main_positions: HashMap<&str, usize> = main
            .iter()
            .enumerate()
            .map(|(i, l)| (l.name.as_str(), i))
            .rev()
            .collect();
        let mut namer = Namer::default();
        loop {
            let start = self.peek().cloned();
            self.layers += 1;
            if self.layers > MAX_LAYERS {
                let column = start.as_ref().map_or(self.end, |t| t.column);
                return Err(TextError {
                    column,
                    expected: format!(
                        "the end of the network: at most {MAX_LAYERS} layers are accepted (counting those inside blocks)"
                    ),
                    found: describe(start.as_ref()),
                });
            }
            let explicit = self.name()?;
            let op = self.op()?;
            let auto = namer.next(&op, scope);
            let name = explicit.clone().unwrap_or(auto);
            if let Some(&prev) = positions.get(&name) {
                let column = start.map_or(self.end, |t| t.column);
                return Err(TextError {
                    column,
                    expected: format!(
                        "a name not used by another layer here (layer {} is already '{name}'; write another with name=…)",
                        prev + 1
                    ),
                    found: format!("'{name}'"),
                });
            }
            if let Some(&prev) = main_positions.get(name.as_str()) {
                let column = start.map_or(self.end, |t| t.column);
                return Err(TextError {
                    column,
                    expected: format!(
                        "a name not used by the block's main path (its layer {} is already '{name}'; write another with name=…)",
                        prev + 1
                    ),
                    found: format!("'{name}'"),
                });
            }
            positions.insert(name.clone(), layers.len());
            layers.push(Layer { name, op });
            if self.is_punct_here(',') {
                self.pos += 1;
                continue;
            }
            return Ok(layers);
        }
    }

    /// A block's path: empty when `)` or `|` follows at once.
    fn block_sequence(&mut self, scope: Scope, main: &[Layer]) -> Result<Vec<Layer>, TextError> {
        if self.is_punct_here(')') || self.is_punct_here('|') {
            Ok(Vec::new())
        } else {
            self.sequence(scope, main)
        }
    }

    /// `name=` before a layer, if present.
    fn name(&mut self) -> Result<Option<String>, TextError> {
        let is_named = self
            .tokens
            .get(self.pos + 1)
            .is_some_and(|t| is_punct(t) && t.text == "=");
        if !is_named {
            return Ok(None);
        }
        let t = self.expect_any("a layer name")?;
        if t.quoted {
            if t.text.is_empty() {
                return Err(self.error_at(&t, "a layer name inside the quotes"));
            }
        } else if !valid_name(&t.text) {
            return Err(self.error_at(
                &t,
                "a layer name made of letters, digits, '_', '-' and '.', starting with a letter",
            ));
        }
        self.pos += 1; // '='
        Ok(Some(t.text))
    }

    fn op(&mut self) -> Result<Op, TextError> {
        let Some(t) = self.peek().cloned() else {
            return Err(self.error_here(LAYER_WORDS));
        };
        if is_punct(&t) {
            return Err(self.error_here(LAYER_WORDS));
        }
        self.pos += 1;
        let word = t.text.to_ascii_lowercase();
        let pool_kind = word
            .strip_suffix("pool")
            .and_then(|k| k.parse::<PoolKind>().ok());
        match word.as_str() {
            "conv" => self.conv(),
            _ if pool_kind.is_some() => {
                let kind = pool_kind.unwrap_or(PoolKind::Max);
                let (f, _) = self.size("a window size such as 2 or 2x2", true)?;
                let mut pool = Pool::new(f, f);
                let mut given = Vec::new();
                while let Some(w) = self.peek_word() {
                    if matches!(w.as_str(), "stride" | "pad" | "padding") {
                        let name = if w == "padding" { "pad" } else { w.as_str() };
                        self.once(name, &mut given)?;
                    }
                    match w.as_str() {
                        "stride" => {
                            self.pos += 1;
                            pool.stride = self.number("a stride (a whole number)")?;
                        }
                        "pad" | "padding" => {
                            self.pos += 1;
                            pool.padding = self.number("a padding (a whole number)")?;
                        }
                        _ => break,
                    }
                }
                self.end_of_layer("stride, pad, ',' or the end")?;
                Ok(Op::pool(kind, pool))
            }
            "batchnorm" | "bn" => self
                .end_of_layer("',' after batchnorm")
                .map(|()| Op::BatchNorm),
            "flatten" => self.end_of_layer("',' after flatten").map(|()| Op::Flatten),
            "dropout" => {
                let t = self.expect_any("a dropout probability such as 0.5")?;
                let p = parse_f64(&t.text)
                    .ok_or_else(|| self.error_at(&t, "a dropout probability such as 0.5"))?;
                self.end_of_layer("',' after the probability")?;
                Ok(Op::Dropout { p })
            }
            "lrn" => {
                let size = self.number("the number of channels (a whole number)")?;
                self.end_of_layer("',' after the size")?;
                Ok(Op::LocalResponseNorm { size })
            }
            "linear" | "fc" => {
                let n = self.number("the number of neurons (a whole number)")?;
                let mut l = Linear::new(n);
                if self.peek_word().as_deref() == Some("nobias") {
                    self.pos += 1;
                    l.bias = false;
                    let mut given = vec!["nobias".to_owned()];
                    if self.peek_word().as_deref() == Some("nobias") {
                        self.once("nobias", &mut given)?;
                    }
                    self.end_of_layer("',' or the end")?;
                } else {
                    self.end_of_layer("nobias, ',' or the end")?;
                }
                Ok(Op::Linear(l))
            }
            "adaptiveavgpool" => {
                let (h, w) = self.size("an output size such as 1x1", false)?;
                self.end_of_layer("',' after the output size")?;
                Ok(Op::AdaptiveAvgPool { h, w })
            }
            "basic" | "bottleneck" => {
                let block = if word == "basic" {
                    BlockKind::Basic
                } else {
                    BlockKind::Bottleneck
                };
                if self.depth >= MAX_BLOCK_NESTING {
                    return Err(self.error_at(
                        &t,
                        &format!(
                            "a layer other than a block: at most {MAX_BLOCK_NESTING} blocks may nest"
                        ),
                    ));
                }
                self.expect_punct('(', "'(' and the block's layers")?;
                self.depth += 1;
                let main = self.block_sequence(Scope::Main, &[])?;
                let shortcut = if self.is_punct_here('|') {
                    self.pos += 1;
                    self.block_sequence(Scope::Shortcut, &main)?
                } else {
                    Vec::new()
                };
                self.depth -= 1;
                self.expect_punct(')', "',', '|' or ')' closing the block")?;
                self.end_of_layer("',' after the block")?;
                Ok(Op::Residual(Residual {
                    block,
                    main,
                    shortcut,
                }))
            }
            _ => match t.text.parse::<Activation>() {
                Ok(function) => {
                    self.end_of_layer("',' after the activation")?;
                    Ok(Op::Activation { function })
                }
                Err(_) if word.starts_with("leaky_relu") => {
                    Err(self.error_at(&t, EXPECTED_ACTIVATIONS))
                }
                Err(_) => Err(self.error_at(&t, LAYER_WORDS)),
            },
        }
    }

    fn conv(&mut self) -> Result<Op, TextError> {
        let k = self.number("the number of filters K (a whole number)")?;
        let (f, _) = self.size("a filter size such as 5x5", true)?;
        let mut c = Conv::new(k, f);
        let mut given = Vec::new();
        while let Some(w) = self.peek_word() {
            if matches!(
                w.as_str(),
                "stride" | "pad" | "padding" | "dilation" | "groups" | "nobias"
            ) {
                let name = if w == "padding" { "pad" } else { w.as_str() };
                self.once(name, &mut given)?;
            }
            let slot = match w.as_str() {
                "stride" => &mut c.stride,
                "pad" | "padding" => &mut c.padding,
                "dilation" => &mut c.dilation,
                "groups" => &mut c.groups,
                "nobias" => {
                    self.pos += 1;
                    c.bias = false;
                    continue;
                }
                _ => break,
            };
            let what = format!("a value for {w} (a whole number)");
            self.pos += 1;
            let t = self.expect_any(&what)?;
            *slot = t.text.parse().map_err(|_| TextError {
                column: t.column,
                expected: what,
                found: describe(Some(&t)),
            })?;
        }
        self.end_of_layer("stride, pad, dilation, groups, nobias, ',' or the end")?;
        Ok(Op::Conv(c))
    }

    /// After a layer: a separator, a block's `|` or `)`, or the end.
    fn end_of_layer(&self, expected: &str) -> Result<(), TextError> {
        match self.peek() {
            None => Ok(()),
            Some(t) if matches!(t.text.as_str(), "," | "|" | ")") => Ok(()),
            Some(_) => Err(self.error_here(expected)),
        }
    }
}

fn is_punct(t: &Token) -> bool {
    !t.quoted && t.text.chars().count() == 1 && t.text.chars().all(|c| PUNCT.contains(&c))
}
