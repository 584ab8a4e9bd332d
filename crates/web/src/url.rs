//! The one URL state: every page keeps its settings in the hash's query
//! (`#/convolution?f=3&s=2`), so a reload or a shared link restores the page. A settings
//! type writes and reads a [`Query`] (decoded pairs, plain data, tested natively); the
//! browser's `URLSearchParams` alone turns it into text and back ([`Query::parse`],
//! [`Query::encode`]: percent-encoding, `+` for spaces, `×` and any other character).
//! The hooks that keep the URL in step are [`crate::hooks::use_query_sync`] and
//! [`crate::hooks::use_hash_query`].

use wasm_bindgen::JsCast;
use web_sys::UrlSearchParams;

/// A page's settings as decoded `key=value` pairs, in order. Only settings that differ from
/// a page's defaults are written; a reader ignores unknown keys and malformed values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// No pairs.
    pub fn new() -> Self {
        Self::default()
    }

    /// A query from decoded pairs.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            pairs: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// This query followed by `other`'s pairs (two pages' or panels' settings in one URL).
    #[must_use]
    pub fn merged(mut self, other: Query) -> Self {
        self.pairs.extend(other.pairs);
        self
    }

    /// Appends `key=value`.
    pub fn push(&mut self, key: &str, value: impl Into<String>) {
        self.pairs.push((key.to_owned(), value.into()));
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `key` as a number no larger than `max`.
    pub fn number(&self, key: &str, max: usize) -> Option<usize> {
        self.get(key)?
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|&n| n <= max)
    }

    /// Whether there are no pairs (the page shows its defaults: its URL is bare).
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The pairs, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// Decodes query text (`a=1&b=x%C3%97y`, a leading `?` allowed) with the browser's
    /// `URLSearchParams`. Browser only.
    pub fn parse(text: &str) -> Self {
        let Ok(params) = UrlSearchParams::new_with_str(text) else {
            return Self::default();
        };
        let Ok(Some(entries)) = js_sys::try_iter(params.as_ref()) else {
            return Self::default();
        };
        let pairs = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let entry = entry.dyn_into::<js_sys::Array>().ok()?;
                Some((entry.get(0).as_string()?, entry.get(1).as_string()?))
            })
            .collect();
        Self { pairs }
    }

    /// The query text, encoded by the browser's `URLSearchParams` ("" when empty). Browser
    /// only.
    pub fn encode(&self) -> String {
        let Ok(params) = UrlSearchParams::new() else {
            return String::new();
        };
        for (k, v) in &self.pairs {
            params.append(k, v);
        }
        params.to_string().into()
    }
}

#[cfg(test)]
impl Query {
    /// For native tests: `a=1&b=2` split without decoding (the browser decodes real URLs).
    pub fn plain(text: &str) -> Self {
        Self::from_pairs(
            text.trim_start_matches('?')
                .split('&')
                .filter_map(|kv| kv.split_once('=')),
        )
    }
}

/// The query part of a location hash (`#/page?query` → `query`).
pub fn query_of(hash: &str) -> &str {
    hash.split_once('?').map_or("", |(_, q)| q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_read_in_order_and_numbers_bounded() {
        let mut q = Query::from_pairs([("f", "3"), ("s", "17"), ("f", "5")]);
        q.push("name", "a b");
        assert_eq!(q.get("f"), Some("3"));
        assert_eq!(q.get("name"), Some("a b"));
        assert_eq!(q.number("f", 16), Some(3));
        assert_eq!(q.number("s", 16), None);
        assert_eq!(q.number("x", 16), None);
        assert!(!q.is_empty());
        assert!(Query::new().is_empty());
        assert_eq!(query_of("#/pooling?f=3&s=1"), "f=3&s=1");
        assert_eq!(query_of("#/pooling"), "");
    }
}
