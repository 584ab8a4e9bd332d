//! The output-size calculator's fields (W, F, S, P, D as typed) and its result from the core.

/// The output-size calculator's fields W, F, S, P, dilation, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalcInputs {
    /// `[W, F, S, P, D]`.
    pub fields: [String; 5],
}

impl Default for CalcInputs {
    /// The lecture's AlexNet CONV1: W = 227, F = 11, S = 4, P = 0.
    fn default() -> Self {
        Self {
            fields: ["227", "11", "4", "0", "1"].map(String::from),
        }
    }
}

/// The calculator's parsed result, from the core.
#[derive(Debug, Clone, PartialEq)]
pub enum CalcResult {
    /// A field is empty or not a number: its name.
    Missing(&'static str),
    /// The core's explained output size.
    Size(convscope_core::OutputSize),
    /// The core's reason the setting is invalid.
    Invalid(convscope_core::ShapeError),
}

/// The calculator's field names.
pub const CALC_NAMES: [&str; 5] = ["W", "F", "S", "P", "D"];

impl CalcInputs {
    /// The numbers, or the first field that is not one.
    pub fn numbers(&self) -> Result<[usize; 5], &'static str> {
        let mut out = [0; 5];
        for (i, f) in self.fields.iter().enumerate() {
            out[i] = f.trim().parse().map_err(|_| CALC_NAMES[i])?;
        }
        Ok(out)
    }

    /// Runs the core's explained output size.
    pub fn result(&self) -> CalcResult {
        match self.numbers() {
            Err(name) => CalcResult::Missing(name),
            Ok([w, f, s, p, d]) => {
                match convscope_core::conv_output_size_explained(w, f, s, p, d) {
                    Ok(o) => CalcResult::Size(o),
                    Err(e) => CalcResult::Invalid(e),
                }
            }
        }
    }
}

impl CalcInputs {
    /// A field as typed (or as the URL gives it), at most twelve characters: not a number
    /// is kept as it is, so that the calculator says so instead of computing another one
    /// (`1.5` is not read as 15, nor `-5` as 5).
    pub fn as_typed(v: &str) -> String {
        v.chars().take(12).collect()
    }
}
