// A minimal PNG writer and a stroke rasteriser, so the end-to-end tests make their own
// images (never taken from the training data): `encodePng` (8-bit gray, RGB or RGBA,
// no interlace, zlib from node) and `drawStrokes` (round pen strokes on a blank page);
// `chunk` and `crc32` for tests that write deliberately broken PNGs.
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The CRC-32 of `buf`, as PNG chunks use it. */
export function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One PNG chunk: length, `type`, `data`, CRC. */
export function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * Encodes `data` (row-major bytes, `channels` per pixel: 1 gray, 3 RGB, 4 RGBA) as a PNG.
 * @returns {Buffer}
 */
export function encodePng({ width, height, channels = 1, data }) {
  const colorType = { 1: 0, 3: 2, 4: 6 }[channels];
  if (colorType === undefined) throw new Error(`channels must be 1, 3 or 4, got ${channels}`);
  if (data.length !== width * height * channels) {
    throw new Error(`${width}×${height}×${channels} needs ${width * height * channels} bytes, got ${data.length}`);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = colorType;
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: none
    Buffer.from(data.buffer, data.byteOffset + y * stride, stride).copy(raw, y * (stride + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * Draws polyline `strokes` (arrays of [x, y] in 0–1 page coordinates) with a round pen of
 * `pen` pixels on a `width`×`height` page: dark ink (0) on white (255), gray bytes.
 * @returns {Uint8Array}
 */
export function drawStrokes({ width, height, strokes, pen }) {
  const img = new Uint8Array(width * height).fill(255);
  const r = pen / 2;
  const dot = (cx, cy) => {
    for (let y = Math.floor(cy - r); y <= Math.ceil(cy + r); y++) {
      for (let x = Math.floor(cx - r); x <= Math.ceil(cx + r); x++) {
        if (x < 0 || y < 0 || x >= width || y >= height) continue;
        if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r) img[y * width + x] = 0;
      }
    }
  };
  for (const stroke of strokes) {
    for (let i = 0; i + 1 < stroke.length; i++) {
      const [x0, y0] = [stroke[i][0] * width, stroke[i][1] * height];
      const [x1, y1] = [stroke[i + 1][0] * width, stroke[i + 1][1] * height];
      const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0)));
      for (let s = 0; s <= steps; s++) dot(x0 + ((x1 - x0) * s) / steps, y0 + ((y1 - y0) * s) / steps);
    }
  }
  return img;
}
