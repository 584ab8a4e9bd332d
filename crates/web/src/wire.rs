//! How the page and its workers put bulk data on the wire: as byte strings, which bincode
//! copies whole, instead of sequences it encodes one element at a time. On the page's
//! thread (the web app is optimised for size) a sequence costs a call per element: a LeNet
//! file of 250 KB took about 30 ms to encode as a sequence of bytes, before the lab could
//! send it to the worker.
//!
//! Use with `#[serde(with = "crate::wire::bytes")]` on a `Vec<u8>`, `…::floats` on a
//! `Vec<f32>`, `…::planes` on a `Vec<Plane>`. Human-readable formats (the Train page's
//! state, kept as JSON in `localStorage`) see the plain sequence, as before.

use serde::de;

/// The visitor of a byte string, handing its bytes to `parse`.
struct ByteString<F>(&'static str, F);

impl<'de, T, F: FnOnce(&[u8]) -> Option<T>> de::Visitor<'de> for ByteString<F> {
    type Value = T;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.0)
    }
    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<T, E> {
        let what = self.0;
        (self.1)(b).ok_or_else(|| E::custom(format!("{} bytes are not {what}", b.len())))
    }
}

/// A `Vec<u8>` as a byte string.
pub mod bytes {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            return bytes.serialize(s);
        }
        s.serialize_bytes(bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        if d.is_human_readable() {
            return Vec::deserialize(d);
        }
        d.deserialize_bytes(super::ByteString("bytes", |b: &[u8]| Some(b.to_vec())))
    }
}

/// A `Vec<f32>` as a byte string of its values, little endian.
pub mod floats {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(values: &[f32], s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            return values.serialize(s);
        }
        let mut bytes = Vec::with_capacity(4 * values.len());
        extend(&mut bytes, values);
        s.serialize_bytes(&bytes)
    }

    /// Appends `values` to `bytes`, each as 4 bytes little endian (what [`parse`] reads).
    pub fn extend(bytes: &mut Vec<u8>, values: &[f32]) {
        if cfg!(target_endian = "little") {
            // The wire's order is the machine's (wasm's too): one copy. Byte by byte, this
            // crate's code, compiled for size, took 5.3 ms for the 400,000 values of a large
            // transposed answer (worker profile).
            bytes.extend_from_slice(bytemuck::cast_slice(values));
        } else {
            bytes.extend(values.iter().flat_map(|v| v.to_le_bytes()));
        }
    }

    /// The values in `b`, or `None` when its length is not a multiple of 4.
    pub fn parse(b: &[u8]) -> Option<Vec<f32>> {
        b.len().is_multiple_of(4).then(|| {
            if cfg!(target_endian = "little") {
                let mut values = vec![0.0f32; b.len() / 4];
                bytemuck::cast_slice_mut::<f32, u8>(&mut values).copy_from_slice(b);
                values
            } else {
                b.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect()
            }
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
        if d.is_human_readable() {
            return Vec::deserialize(d);
        }
        d.deserialize_bytes(super::ByteString("f32 values (4 bytes each)", parse))
    }
}

/// Planes (`Vec<Rc<Vec<f32>>>`) as one byte string: the plane count, each plane's length (`u64` little
/// endian) and then every value (`f32` little endian). bincode copies a byte string whole,
/// where a sequence of floats costs the page's thread a call per value (16 maps of 86×86,
/// before and after the activation, took it 2.5 ms).
pub mod planes {
    use std::rc::Rc;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub use crate::lab::conv::Plane;

    pub fn serialize<S: Serializer>(planes: &[Plane], s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            return planes.serialize(s);
        }
        let values: usize = planes.iter().map(|p| p.len()).sum();
        let mut bytes = Vec::with_capacity(8 * (1 + planes.len()) + 4 * values);
        bytes.extend_from_slice(&(planes.len() as u64).to_le_bytes());
        for p in planes {
            bytes.extend_from_slice(&(p.len() as u64).to_le_bytes());
        }
        for p in planes {
            super::floats::extend(&mut bytes, p);
        }
        s.serialize_bytes(&bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Plane>, D::Error> {
        if d.is_human_readable() {
            return Vec::deserialize(d);
        }
        d.deserialize_bytes(super::ByteString(
            "planes (a count, the lengths, the values)",
            parse,
        ))
    }

    fn take_len(b: &[u8]) -> Option<(usize, &[u8])> {
        let (head, rest) = b.split_first_chunk::<8>()?;
        Some((usize::try_from(u64::from_le_bytes(*head)).ok()?, rest))
    }

    /// The planes in `b`, or `None` when the counts and the bytes disagree.
    pub fn parse(b: &[u8]) -> Option<Vec<Plane>> {
        let (count, mut rest) = take_len(b)?;
        if count > rest.len() / 8 {
            return None;
        }
        let mut lens = Vec::with_capacity(count);
        for _ in 0..count {
            let (len, r) = take_len(rest)?;
            lens.push(len);
            rest = r;
        }
        let mut planes = Vec::with_capacity(count);
        for len in lens {
            let (values, r) = rest.split_at_checked(len.checked_mul(4)?)?;
            rest = r;
            planes.push(Rc::new(super::floats::parse(values)?));
        }
        rest.is_empty().then_some(planes)
    }
}

/// The training worker's message codec (yew-agent's `Codec`): bincode 1, the encoding of the
/// core's and the image worker's protocol ([`crate::agent::protocol`]), instead of
/// yew-agent's default (bincode 2), so that the app and the trainer carry one bincode.
#[derive(Debug)]
pub struct Bincode1;

impl yew_agent::Codec for Bincode1 {
    fn encode<I: serde::Serialize>(input: I) -> wasm_bindgen::JsValue {
        // Serializing these types cannot fail (no maps with non-string keys, no sequences of
        // unknown length): `null` would be refused by `decode` on the other side, as the
        // worker's own default would panic here.
        crate::agent::protocol::encode(&input).map_or(wasm_bindgen::JsValue::NULL, Into::into)
    }

    #[allow(clippy::expect_used)] // the Codec must return a message: as yew-agent's own codec
    fn decode<O: for<'de> serde::Deserialize<'de>>(input: wasm_bindgen::JsValue) -> O {
        // Only the page and its own training worker, built from the same types, send these.
        crate::agent::protocol::decode(&input)
            .expect("a training worker message the other side encoded")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::rc::Rc;

    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Message {
        #[serde(with = "super::bytes")]
        file: Vec<u8>,
        #[serde(with = "super::floats")]
        values: Vec<f32>,
        #[serde(with = "super::planes")]
        planes: Vec<super::planes::Plane>,
    }

    fn message() -> Message {
        Message {
            file: (0..=255).collect(),
            values: vec![0.0, -1.5, f32::MAX, f32::MIN_POSITIVE, 3.25],
            planes: vec![
                Rc::new(vec![1.0, 2.0]),
                Rc::new(vec![]),
                Rc::new(vec![-0.5]),
            ],
        }
    }

    #[test]
    fn bincode_carries_byte_strings_and_they_round_trip() {
        let m = message();
        let bytes = bincode::serialize(&m).unwrap();
        // Each field is a length and its bytes: 8 + 256, 8 + 5·4, 8 + (8 + 3·8 + 3·4).
        assert_eq!(bytes.len(), 264 + 28 + 52);
        assert_eq!(bincode::deserialize::<Message>(&bytes).unwrap(), m);
        // Cut short, the message is refused, not misread.
        for cut in [1, 100, bytes.len() - 1] {
            assert!(
                bincode::deserialize::<Message>(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn floats_of_a_length_not_a_multiple_of_four_are_refused() {
        assert_eq!(super::floats::parse(&[0, 0, 128, 63]), Some(vec![1.0]));
        assert_eq!(super::floats::parse(&[0, 0, 128]), None);
    }

    #[test]
    fn floats_are_four_bytes_little_endian_each_way() {
        let mut bytes = vec![7];
        super::floats::extend(&mut bytes, &[1.0, -2.5, f32::NAN]);
        assert_eq!(&bytes[..9], &[7, 0, 0, 128, 63, 0, 0, 32, 192]);
        let back = super::floats::parse(&bytes[1..]).unwrap();
        assert_eq!(back[..2], [1.0, -2.5]);
        assert_eq!(back[2].to_bits(), f32::NAN.to_bits());
        assert_eq!(super::floats::parse(&[]), Some(vec![]));
    }

    #[test]
    fn json_sees_plain_sequences_as_before() {
        let json = serde_json::to_string(&Message {
            file: vec![1, 2],
            values: vec![0.5],
            planes: vec![Rc::new(vec![2.0])],
        })
        .unwrap();
        assert_eq!(json, r#"{"file":[1,2],"values":[0.5],"planes":[[2.0]]}"#);
        let back: Message = serde_json::from_str(&json).unwrap();
        assert_eq!(back.values, vec![0.5]);
    }
}
