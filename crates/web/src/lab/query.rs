//! The pieces every lab's URL encoding shares: `key=value` pairs of a hash's query, small
//! numbers (bit grids are written by [`crate::lab::hex`]). A leaf: each settings type owns its own encoding
//! ([`crate::lab::conv`], [`crate::lab::pool`]) and imports these.

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

pub fn join(pairs: Vec<(&str, String)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn small(v: &str, max: usize) -> Option<usize> {
    v.parse::<usize>().ok().filter(|&n| n <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_split() {
        assert_eq!(query_of("#/pooling?f=3&s=1"), "f=3&s=1");
        assert_eq!(pairs("?f=3&s=1&junk"), vec![("f", "3"), ("s", "1")]);
        assert_eq!(small("17", 16), None);
    }
}
