#!/usr/bin/env node
// Writes the images run_images.py sends, all made with sharp (no downloads): smooth test patterns
// as JPEG (quality 90), PNG and WebP (lossless; this one ends with zero bytes, which Triton's client
// drops: see image_preprocess' README), an RGBA PNG with
// partial alpha, a greyscale JPEG, a solid colour; plus bad/ (a truncated JPEG, a text file).
// Usage: node compat/tritonclient/make_images.mjs <dir>
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node compat/tritonclient/make_images.mjs <dir>');
  process.exit(2);
}

function pattern(width, height, phase) {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = Math.round((255 * x) / (width - 1));
      raw[i + 1] = Math.round((255 * y) / (height - 1));
      raw[i + 2] = Math.round(127.5 + 127.5 * Math.sin(x / 9 + phase) * Math.cos(y / 13));
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } });
}

mkdirSync(join(dir, 'bad'), { recursive: true });
const files = {
  'a_pattern_256.jpg': await pattern(256, 256, 0).jpeg({ quality: 90 }).toBuffer(),
  'b_pattern_640x480.png': await pattern(640, 480, 1).png().toBuffer(),
  'c_pattern_300x200.webp': await pattern(300, 200, 2).webp({ lossless: true }).toBuffer(),
  'd_rgba_320x240.png': await pattern(320, 240, 3).ensureAlpha(0.5).png().toBuffer(),
  'e_grey_400x300.jpg': await pattern(400, 300, 4).greyscale().jpeg({ quality: 90 }).toBuffer(),
  'f_orange_500x375.jpg': await sharp({ create: { width: 500, height: 375, channels: 3, background: '#ff8c00' } })
    .jpeg({ quality: 90 })
    .toBuffer(),
};
for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
const jpeg = files['a_pattern_256.jpg'];
writeFileSync(join(dir, 'bad', 'truncated.jpg'), jpeg.subarray(0, jpeg.length >> 1));
writeFileSync(join(dir, 'bad', 'not_an_image.jpg'), 'this is a text file, not a JPEG\n');
console.log(Object.keys(files).join(' '));
