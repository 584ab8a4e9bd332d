//! Hex, the one encoding of bytes and bit grids as text: the kept upload's pixels (two
//! digits a byte), the drawing in the URL (one digit per four cells, least significant
//! bit first).

/// Two lowercase digits per byte.
pub fn encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses [`encode`].
///
/// # Errors
/// An odd number of digits, or a character that is not one, with its position.
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err(format!("{} hex digits, not an even number", text.len()));
    }
    text.as_bytes()
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
                .ok_or_else(|| {
                    format!(
                        "byte {i} ({:?}) is not two hex digits",
                        String::from_utf8_lossy(pair)
                    )
                })
        })
        .collect()
}

/// One digit per four cells, the first cell the lowest bit.
pub fn from_bits(bits: &[bool]) -> String {
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

/// Parses [`from_bits`]: the first `len` cells, or `None` when a character is not a digit
/// or there are too few.
pub fn to_bits(hex: &str, len: usize) -> Option<Vec<bool>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_and_bits_round_trip() {
        let bytes = [0u8, 17, 255, 128];
        assert_eq!(encode(&bytes), "0011ff80");
        assert_eq!(decode(&encode(&bytes)), Ok(bytes.to_vec()));
        assert!(decode("abc").is_err_and(|e| e.contains("3 hex digits")));
        assert!(decode("zz").is_err_and(|e| e.contains("byte 0")));
        let bits = vec![true, false, false, true, true];
        assert_eq!(to_bits(&from_bits(&bits), bits.len()), Some(bits));
        assert_eq!(to_bits("zz", 4), None);
        assert_eq!(to_bits("f", 5), None);
    }
}
