// A handwritten-looking digit drawn from strokes (never taken from the training data), as
// PNG bytes: dark ink on a white page, as a phone photo or a scan would be.
//
//   node tests/e2e/make-digit-png.mjs out.png [digit]   writes the PNG
//   import { makeDigitPng } from './make-digit-png.mjs'  returns the bytes
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { drawStrokes, encodePng } from './png.mjs';

/** Strokes in page coordinates [0, 1]² for the digits this script can draw. */
export const DIGIT_STROKES = {
  // A top bar and a slanted stem: classified 7 by the shipped MNIST model.
  7: [[[0.2, 0.15], [0.8, 0.15], [0.45, 0.9]]],
  // A vertical bar with a small flag.
  1: [[[0.38, 0.28], [0.52, 0.12], [0.52, 0.88]]],
};

/**
 * The PNG bytes of `digit` drawn with a `pen`-pixel pen on a `width`×`height` page.
 * @returns {Buffer}
 */
export function makeDigitPng({ digit = 7, width = 120, height = 160, pen = 14 } = {}) {
  const strokes = DIGIT_STROKES[digit];
  if (!strokes) throw new Error(`no strokes for digit ${digit}; known: ${Object.keys(DIGIT_STROKES).join(', ')}`);
  const data = drawStrokes({ width, height, strokes, pen });
  return encodePng({ width, height, channels: 1, data });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node tests/e2e/make-digit-png.mjs <out.png> [digit]');
    process.exit(2);
  }
  const digit = Number(process.argv[3] ?? 7);
  writeFileSync(out, makeDigitPng({ digit }));
  console.log(`wrote ${out}: the digit ${digit}`);
}
