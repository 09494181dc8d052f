/**
 * Images for the image pipeline tests, all made with sharp (never downloaded, never hand-encoded):
 * deterministic patterns in JPEG / PNG / WebP, solid colours, truncated files, and the hostile ones
 * (a 20000 x 20000 PNG, a 16383 x 16383 WebP of 34 bytes, a PNG whose text chunk inflates to
 * 200 MB). Also a temporary model repository that resolves `sharp` from this project.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { EXAMPLES } from './servers.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Encodings the tests send. */
export type ImageFormat = 'jpeg' | 'png' | 'webp';

/**
 * A smooth RGB test pattern (horizontal red ramp, vertical green ramp, a blue wave), the same
 * bytes on every machine. `x`, `y` are pixel coordinates.
 */
export function patternPixels(width: number, height: number): Buffer {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = Math.round((255 * x) / (width - 1));
      raw[i + 1] = Math.round((255 * y) / (height - 1));
      raw[i + 2] = Math.round(127.5 + 127.5 * Math.sin(x / 9) * Math.cos(y / 13));
    }
  }
  return raw;
}

/** Encodes raw RGB pixels; PNG and WebP are lossless, JPEG quality 90. */
export async function encode(raw: Buffer, width: number, height: number, format: ImageFormat): Promise<Buffer> {
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  if (format === 'jpeg') return img.jpeg({ quality: 90 }).toBuffer();
  if (format === 'png') return img.png().toBuffer();
  return img.webp({ lossless: true }).toBuffer();
}

/** The test pattern, encoded. */
export function pattern(width: number, height: number, format: ImageFormat): Promise<Buffer> {
  return encode(patternPixels(width, height), width, height, format);
}

/** A solid colour, lossless (`png` or `webp`); `alpha` adds a fourth channel. */
export function solid(
  width: number,
  height: number,
  rgb: readonly [number, number, number],
  format: 'png' | 'webp',
  alpha?: number,
): Promise<Buffer> {
  const [r, g, b] = rgb;
  const img = sharp({
    create: { width, height, channels: alpha === undefined ? 3 : 4, background: { r, g, b, alpha: alpha ?? 1 } },
  });
  return format === 'png' ? img.png().toBuffer() : img.webp({ lossless: true }).toBuffer();
}

/**
 * A 16383 x 16383 black WebP (lossless) of 34 bytes: it decodes to 1 GiB of RGBA. Made with
 * `sharp({ create: { width: 16383, height: 16383, channels: 3, background: '#000' }, limitInputPixels: false })
 * .webp({ lossless: true, effort: 0 }).toBuffer()` (sharp 0.35.6), which takes 2.4 GB and seconds,
 * so its bytes are kept here.
 */
export const WEBP_BOMB = Buffer.from('524946461a000000574542505650384c0e0000002ffebfff0f071011fd0f4444ff03', 'hex');

/**
 * A 20000 x 20000 black greyscale PNG (~390 KB; 400 megapixels). sharp takes several seconds to
 * write it, so it is cached in the temp directory (per sharp version) after the first run.
 */
export async function hugePng(): Promise<Buffer> {
  const dir = join(tmpdir(), 'tensorgate-test-images');
  const file = join(dir, `black-20000x20000-sharp-${sharp.versions.sharp}.png`);
  if (existsSync(file)) return readFile(file);
  await mkdir(dir, { recursive: true });
  const bytes = await sharp({
    create: { width: 20000, height: 20000, channels: 3, background: '#000' },
    limitInputPixels: false,
  })
    .toColourspace('b-w')
    .png({ compressionLevel: 9, adaptiveFiltering: false })
    .toBuffer();
  const part = `${file}.${process.pid}.part`;
  await writeFile(part, bytes);
  await rename(part, file);
  return bytes;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * A small valid PNG (made by sharp) with an extra compressed text chunk (zTXt) that inflates to
 * `mib` MiB of zeros, inserted after the header chunk: a decompression bomb in the metadata.
 */
export async function pngTextBomb(mib: number): Promise<Buffer> {
  const png = await solid(64, 64, [255, 255, 255], 'png');
  const text = Buffer.concat([
    Buffer.from('Comment\0\0', 'latin1'),
    deflateSync(Buffer.alloc(mib << 20), { level: 9 }),
  ]);
  const afterHeader = 8 + 25; // signature, then IHDR (4 length + 4 type + 13 data + 4 CRC)
  return Buffer.concat([png.subarray(0, afterHeader), pngChunk('zTXt', text), png.subarray(afterHeader)]);
}

/** The first half of an encoded image: a truncated file. */
export function truncated(bytes: Buffer): Buffer {
  return bytes.subarray(0, bytes.length >> 1);
}

/**
 * A temporary model repository at `<tmp>/repo`, with `<tmp>/node_modules` linked to this project's,
 * so that models importing `sharp` resolve it as they do from examples/model_repository (a
 * repository's own folder must not hold node_modules: the server would take it for a model).
 * `models` maps a model name to the example folder it copies and an optional config edit.
 */
export async function imageRepository(
  models: Record<string, { from: string; edit?: (config: string) => string }>,
  { linkModules = true } = {},
): Promise<{ path: string; remove(): Promise<void> }> {
  const base = await mkdtemp(join(tmpdir(), 'tensorgate-images-'));
  const path = join(base, 'repo');
  if (linkModules) await symlink(join(ROOT, 'node_modules'), join(base, 'node_modules'), 'dir');
  for (const [name, { from, edit }] of Object.entries(models)) {
    await cp(join(EXAMPLES, from), join(path, name), { recursive: true });
    const file = join(path, name, 'config.pbtxt');
    let text = (await readFile(file, 'utf8')).replace(/^name:\s*"[^"]*"/m, `name: "${name}"`);
    if (edit) text = edit(text);
    await writeFile(file, text);
  }
  return { path, remove: () => rm(base, { recursive: true, force: true }) };
}

/** Replaces (or adds) a string parameter of a config.pbtxt text. */
export function setParameter(config: string, key: string, value: string): string {
  const line = `parameters { key: "${key}" value: { string_value: "${value}" } }`;
  const re = new RegExp(`^parameters \\{ key: "${key}" .*$`, 'm');
  return re.test(config) ? config.replace(re, line) : `${config.trimEnd()}\n${line}\n`;
}
