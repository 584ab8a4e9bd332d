//! PNG files written chunk by chunk, for headers that lie about their size.

use std::io::Write as _;

use flate2::Compression;
use flate2::write::ZlibEncoder;

/// One chunk: length, type, data, CRC-32 of type and data.
pub fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut h = crc32fast::Hasher::new();
    h.update(kind);
    h.update(data);
    out.extend_from_slice(&h.finalize().to_be_bytes());
}

/// The signature and an IHDR of `width × height`, 8-bit, `color` (0 gray, 2 RGB, …).
fn header(width: u32, height: u32, color: u8) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, color, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    out
}

/// A gray PNG declaring `width × height` whose IDAT holds only `rows` rows of zeros:
/// a header bomb (the decoder must refuse it from the header alone).
///
/// # Errors
/// When compression fails.
pub fn declared(width: u32, height: u32, rows: u32) -> Result<Vec<u8>, String> {
    let mut out = header(width, height, 0);
    let row = vec![0u8; (width as usize).min(1 << 16) + 1];
    let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
    for _ in 0..rows {
        z.write_all(&row).map_err(|e| e.to_string())?;
    }
    chunk(&mut out, b"IDAT", &z.finish().map_err(|e| e.to_string())?);
    chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

/// A complete gray PNG of `side × side` zeros, really encoded (zlib of every row):
/// small on disk, `side²` bytes decoded.
///
/// # Errors
/// When compression fails.
pub fn zeros(side: u32) -> Result<Vec<u8>, String> {
    let mut out = header(side, side, 0);
    let row = vec![0u8; side as usize + 1];
    let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
    for _ in 0..side {
        z.write_all(&row).map_err(|e| e.to_string())?;
    }
    let data = z.finish().map_err(|e| e.to_string())?;
    // IDAT chunks of at most 1 MiB, as encoders write them.
    for part in data.chunks(1 << 20) {
        chunk(&mut out, b"IDAT", part);
    }
    chunk(&mut out, b"IEND", &[]);
    Ok(out)
}
