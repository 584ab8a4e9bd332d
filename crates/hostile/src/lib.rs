//! The hostile-file corpus (issue 13): files a stranger could upload, each with what must
//! happen to it. Everything is generated here from code — valid files by the `image`,
//! `png` and `jpeg-encoder` encoders, bombs and corruptions byte by byte (with correct
//! CRCs where the format has them) — so the corpus can be rebuilt and reviewed.
//!
//! - [`images`]: decompression bombs, every prefix of one valid file per format, an empty
//!   file, random bytes, text named `.png`, odd valid images, a sideways phone photo with
//!   an EXIF orientation.
//! - [`weights`]: the shipped LeNet-5 file truncated, with a header larger than the file,
//!   huge or disagreeing shapes, NaN/∞, a wrong dtype, garbage metadata; descriptions of
//!   10,000 layers or a billion parameters.
//! - [`networks`]: network descriptions (text and JSON) as typed on the Train page.
//!
//! [`corpus`] returns the cases; the binary writes them with a `manifest.json`; the native
//! matrix (`tests/matrix.rs`) and the browser matrix (`tests/e2e/hostile.test.mjs`) run them.

use serde::Serialize;

pub mod images;
pub mod networks;
pub mod png_bytes;
pub mod weights;

/// Which upload a case goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An image: the Convolution lab's and the Classify page's upload.
    Image,
    /// A `.safetensors` weights file: the Classify page's model file, the Train page's
    /// "continue from file".
    Weights,
    /// A network description (UTF-8 text or JSON): the Train page's network text.
    Network,
}

/// What must happen to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Expect {
    /// Refused with a message that contains `says` (case-insensitive), or one of its
    /// alternatives separated by ` | ` (where 32-bit wasm and 64-bit native differ).
    Refused {
        /// A phrase of the message.
        says: String,
    },
    /// An image that decodes to `width × height` (after its EXIF orientation); the
    /// Classify page gives a prediction or says the image is blank.
    Decodes {
        /// Width after orientation.
        width: u32,
        /// Height after orientation.
        height: u32,
    },
    /// An image that decodes to `width × height` and that the shipped MNIST LeNet-5
    /// classifies as `digit` (the digit it shows).
    Digit {
        /// Width after orientation.
        width: u32,
        /// Height after orientation.
        height: u32,
        /// The digit drawn.
        digit: u8,
    },
    /// A truncated or damaged file: a message or a result, nothing else (no panic, no trap).
    MessageOrResult,
    /// A weights file that loads, or a description the Train page accepts.
    Accepted,
}

/// One hostile file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Case {
    /// Unique, file-name safe (`png-bomb-100000`).
    pub name: String,
    /// The group it is reported under (`bomb`, `prefix`, `odd`, …).
    pub group: String,
    /// Which upload it goes through.
    pub kind: Kind,
    /// The file's name as uploaded (extension included).
    pub file: String,
    /// What must happen.
    pub expect: Expect,
    /// Whether the browser matrix uploads it (all but most prefixes, which are sampled
    /// evenly: the native matrix runs every one).
    pub browser: bool,
    /// The bytes.
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

impl Case {
    /// A case uploaded by the browser matrix too.
    pub fn new(
        group: &str,
        name: &str,
        ext: &str,
        kind: Kind,
        expect: Expect,
        bytes: Vec<u8>,
    ) -> Self {
        Self {
            name: name.to_owned(),
            group: group.to_owned(),
            kind,
            file: format!("{name}.{ext}"),
            expect,
            browser: true,
            bytes,
        }
    }
}

/// Refused, the message containing `says`.
pub fn refused(says: &str) -> Expect {
    Expect::Refused {
        says: says.to_owned(),
    }
}

/// The inputs the corpus is made from: the shipped MNIST LeNet-5 (`www/models/
/// lenet-mnist.safetensors`) and the MNIST gallery (`www/samples/mnist-test.safetensors`).
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// The weights file.
    pub model: &'a [u8],
    /// The gallery.
    pub samples: &'a [u8],
}

/// The whole corpus.
///
/// # Errors
/// A message when a source file cannot be read or an encoder fails.
pub fn corpus(sources: Sources<'_>) -> Result<Vec<Case>, String> {
    let mut cases = images::cases(sources.samples)?;
    cases.extend(weights::cases(sources.model)?);
    cases.extend(networks::cases());
    Ok(cases)
}

/// A small deterministic generator (SplitMix64) for the random-bytes cases.
#[derive(Debug, Clone)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next_u64() >> 56) as u8).collect()
    }
}
