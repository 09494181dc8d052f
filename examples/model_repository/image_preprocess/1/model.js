// "image_preprocess": encoded images (JPEG, PNG, WebP: a file's bytes per BYTES element) in, the
// normalized FP32 tensor of an image classifier out, exactly as Triton's image_client.py
// preprocess() prepares it: the image converted to RGB (alpha dropped), resized to the output's
// H x W with a bilinear filter (no crop unless `resize` says so), then scaled per `scaling`
// (INCEPTION: x / 127.5 - 1, VGG: x - [123, 117, 104] per RGB channel, NONE: x) in float32 and laid
// out as CHW (NCHW) or HWC (NHWC). Decoding and resizing are sharp's (libvips); this file only
// checks the configuration, enforces the limits and reorders bytes into floats.
//
// Every parameter is read from config.pbtxt at load and checked: an unknown key or a bad value
// fails the load naming it. See README.md in this folder for the parameters, limits and how a
// repository outside this project finds the `sharp` package.

/** Parameters this model reads (plus the js backend's own `execution_timeout_ms`, `memory_limit_mb`). */
const PARAMETERS = {
  scaling: 'NONE',
  resize: 'stretch',
  channel_order: 'RGB',
  layout: 'NCHW',
  formats: 'jpeg,png,webp',
  max_input_pixels: '25000000',
  max_pixels_in_flight: '25000000',
  image_timeout_s: '10',
  fail_on: 'error',
  sharp_concurrency: '1',
};
const BACKEND_PARAMETERS = new Set(['execution_timeout_ms', 'memory_limit_mb']);

// Leading bytes of each accepted format. sharp can decode many more (TIFF, GIF, SVG, HEIF, ...);
// the allow-list is checked here, per model, because sharp's own switch (sharp.block) is
// process-wide and would change what every other model in the server may decode.
const SIGNATURES = {
  jpeg: (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  png: (b) => b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47,
  webp: (b) => b.length > 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP',
  gif: (b) => b.length > 6 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a'),
};
const FORMAT_NAMES = { jpeg: 'JPEG', png: 'PNG', webp: 'WebP', gif: 'GIF' };
// Triton's image_client.py VGG means, per RGB channel (and 128 for one channel).
const VGG_MEANS = [123, 117, 104];

function ascii(bytes, from, to) {
  return String.fromCharCode(...bytes.subarray(from, to));
}

// Triton's Python clients pass BYTES elements through NumPy's fixed-width `S` dtype, which drops
// trailing zero bytes: a WebP whose last RIFF chunk ends with its padding byte (a zero) arrives
// short. When the RIFF header says the file is at most this many bytes longer, the zeros are put back.
const WEBP_RESTORED_ZEROS = 16;

function restoreWebpPadding(bytes) {
  if (!SIGNATURES.webp(bytes)) return bytes;
  const declared = (bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24)) + 8;
  if (declared <= bytes.length || declared - bytes.length > WEBP_RESTORED_ZEROS) return bytes;
  const whole = new Uint8Array(declared);
  whole.set(bytes);
  return whole;
}

/**
 * Width and height from a JPEG's start-of-frame segment, or undefined when the markers before it
 * do not parse (sharp's metadata() then reads the header). Read here rather than with metadata(),
 * which costs a trip to libuv's threads and about a tenth of the whole decode for a small JPEG;
 * a JPEG has no alpha, so the size is all the decode needs to know beforehand.
 */
export function jpegSize(bytes) {
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) {
      i += 2; // markers without a length
      continue;
    }
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return { height: (bytes[i + 5] << 8) | bytes[i + 6], width: (bytes[i + 7] << 8) | bytes[i + 8] };
    i += 2 + ((bytes[i + 2] << 8) | bytes[i + 3]);
  }
  return undefined;
}

function fail(message) {
  throw new Error(`image_preprocess: ${message}`);
}

function oneOf(key, value, allowed) {
  if (!allowed.includes(value)) fail(`parameter '${key}' must be one of ${allowed.join(', ')}, got '${value}'`);
  return value;
}

function wholeNumber(key, value, min, max) {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    fail(`parameter '${key}' must be a whole number from ${min} to ${max}, got '${value}'`);
  }
  return n;
}

/** Reads and checks the config: one BYTES input of dims [1], one FP32 output of 3 dims, the parameters. */
export function readSettings(config) {
  const given = {};
  for (const [key, value] of Object.entries(config.parameters ?? {})) {
    if (BACKEND_PARAMETERS.has(key)) continue;
    if (!(key in PARAMETERS)) {
      fail(`unknown parameter '${key}' (known: ${[...Object.keys(PARAMETERS), ...BACKEND_PARAMETERS].join(', ')})`);
    }
    given[key] = String(value?.string_value ?? '').trim();
  }
  const p = { ...PARAMETERS, ...given };
  if (config.input?.length !== 1 || config.output?.length !== 1) fail('needs exactly one input and one output');
  const input = config.input[0];
  const output = config.output[0];
  if (input.data_type !== 'TYPE_STRING' || input.dims.length !== 1 || input.dims[0] !== 1) {
    fail(`input '${input.name}' must be TYPE_STRING with dims [ 1 ] (one encoded image per batch row)`);
  }
  if (output.data_type !== 'TYPE_FP32' || output.dims.length !== 3) {
    fail(`output '${output.name}' must be TYPE_FP32 with 3 dims ([C, H, W] for NCHW, [H, W, C] for NHWC)`);
  }
  const layout = oneOf('layout', p.layout.toUpperCase(), ['NCHW', 'NHWC']);
  const [c, h, w] = layout === 'NCHW' ? output.dims : [output.dims[2], output.dims[0], output.dims[1]];
  if (c !== 1 && c !== 3) fail(`output '${output.name}' must have 1 or 3 channels for ${layout}, got ${c}`);
  if (!(h > 0 && w > 0 && h <= 16384 && w <= 16384)) {
    fail(`output '${output.name}' needs a fixed height and width (1 to 16384), got ${h} x ${w}`);
  }
  const formats = p.formats.split(',').map((f) => f.trim().toLowerCase());
  for (const f of formats) oneOf('formats', f, Object.keys(SIGNATURES));
  return {
    inputName: input.name,
    outputName: output.name,
    layout,
    channels: c,
    height: h,
    width: w,
    scaling: oneOf('scaling', p.scaling.toUpperCase(), ['NONE', 'INCEPTION', 'VGG']),
    resize: oneOf('resize', p.resize, ['stretch', 'center_crop']),
    channelOrder: oneOf('channel_order', p.channel_order.toUpperCase(), ['RGB', 'BGR']),
    formats,
    maxInputPixels: wholeNumber('max_input_pixels', p.max_input_pixels, 1, 268402689),
    maxPixelsInFlight: wholeNumber('max_pixels_in_flight', p.max_pixels_in_flight, 1, 1e12),
    timeoutSeconds: wholeNumber('image_timeout_s', p.image_timeout_s, 0, 3600),
    failOn: oneOf('fail_on', p.fail_on, ['none', 'truncated', 'error', 'warning']),
    sharpConcurrency: wholeNumber('sharp_concurrency', p.sharp_concurrency, 0, 1024),
  };
}

/**
 * Per output channel, the float32 value of each byte 0..255 after scaling, computed as
 * image_client.py does in numpy float32: (x / 127.5) - 1 rounds twice, x - mean is exact. And the
 * source channel each output channel reads (RGB order, or BGR).
 */
export function channelTables(settings) {
  const tables = [];
  const sources = [];
  for (let c = 0; c < settings.channels; c++) {
    const source = settings.channels === 3 && settings.channelOrder === 'BGR' ? 2 - c : c;
    const mean = settings.channels === 3 ? VGG_MEANS[source] : 128;
    const table = new Float32Array(256);
    for (let x = 0; x < 256; x++) {
      if (settings.scaling === 'INCEPTION') table[x] = Math.fround(Math.fround(x / 127.5) - 1);
      else if (settings.scaling === 'VGG') table[x] = x - mean;
      else table[x] = x;
    }
    tables.push(table);
    sources.push(source);
  }
  return { tables, sources };
}

async function loadSharp(versionPath) {
  try {
    return (await import('sharp')).default;
  } catch (e) {
    throw new Error(
      `image_preprocess needs the npm package 'sharp', resolved from ${versionPath}: install it in the ` +
        `model repository's folder or a parent (npm install sharp), or keep the repository inside the ` +
        `project where tensorgate is installed (tensorgate depends on sharp). ${e.message}`,
      { cause: e },
    );
  }
}

/**
 * Pixels being decoded by this instance at once, at most `capacity` (one image always fits). sharp's
 * buffers are native memory, outside the instance's memory_limit_mb: a WebP decodes to a full
 * RGBA buffer (about 8 bytes per pixel at peak), so the pixels in flight bound that memory.
 */
export class PixelBudget {
  constructor(capacity) {
    this.capacity = capacity;
    this.used = 0;
    this.waiting = [];
  }

  acquire(pixels) {
    const n = Math.min(pixels, this.capacity);
    if (this.waiting.length === 0 && this.used + n <= this.capacity) {
      this.used += n;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push({ n, resolve }));
  }

  release(pixels) {
    this.used -= Math.min(pixels, this.capacity);
    while (this.waiting.length > 0 && this.used + this.waiting[0].n <= this.capacity) {
      const next = this.waiting.shift();
      this.used += next.n;
      next.resolve();
    }
  }
}

export default class ImagePreprocess {
  async initialize(args) {
    this.settings = readSettings(args.model_config);
    Object.assign(this, channelTables(this.settings));
    this.budget = new PixelBudget(this.settings.maxPixelsInFlight);
    this.sharp = await loadSharp(args.model_version_path);
    // Both settings are process-wide in libvips: every model that uses sharp in this server shares
    // them. No operation cache (each image is new; the cache would only hold memory), and libvips
    // threads per image as configured (1: images run side by side on libuv's threads instead).
    this.sharp.cache(false);
    if (this.settings.sharpConcurrency > 0) this.sharp.concurrency(this.settings.sharpConcurrency);
    const s = this.settings;
    args.logger.info(
      `image_preprocess ready: ${s.formats.join('/')} -> ${s.layout} ${s.channels}x${s.height}x${s.width}, ` +
        `scaling ${s.scaling}, ${s.channelOrder}, resize ${s.resize}, sharp ${this.sharp.versions.sharp}`,
    );
  }

  execute(requests) {
    return Promise.all(requests.map((request) => this.preprocess(request)));
  }

  async preprocess(request) {
    const s = this.settings;
    const images = request.input(s.inputName).data;
    const size = s.channels * s.height * s.width;
    const out = new Float32Array(images.length * size);
    try {
      await Promise.all(images.map((bytes, i) => this.decodeInto(bytes, i, images.length, out, i * size, request)));
    } catch (e) {
      if (request.isCancelled()) return { error: 'request cancelled', code: 'CANCELLED' };
      return { error: e.message, code: 'INVALID_ARG' };
    }
    return { outputs: [{ name: s.outputName, data: out }] };
  }

  async decodeInto(given, index, count, out, offset, request) {
    const s = this.settings;
    const bytes = restoreWebpPadding(given);
    const where = `${s.inputName}[${index}]${count > 1 ? ` (image ${index + 1} of ${count})` : ''}`;
    const format = s.formats.find((f) => SIGNATURES[f](bytes));
    if (format === undefined) {
      const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
      const names = s.formats
        .map((f) => FORMAT_NAMES[f])
        .join(', ')
        .replace(/, (\w+)$/, ' or $1');
      throw new Error(`${where}: not a ${names} image (${bytes.length} bytes, starting ${head || '(empty)'})`);
    }
    const options = { failOn: s.failOn, limitInputPixels: s.maxInputPixels, sequentialRead: true };
    let pixels = 0;
    try {
      // The header alone: refuses an image over max_input_pixels before anything is decoded (sharp
      // refuses it too, with a vaguer message), and tells the budget how much native memory the
      // decode may take.
      const meta =
        (format === 'jpeg' && jpegSize(bytes)) ||
        (await this.sharp(bytes, { ...options, limitInputPixels: false }).metadata());
      pixels = (meta.width ?? 0) * (meta.height ?? 0);
      if (pixels > s.maxInputPixels) {
        const name = FORMAT_NAMES[format];
        const message = `${name} image of ${meta.width}x${meta.height} pixels is over max_input_pixels (${s.maxInputPixels})`;
        throw Object.assign(new Error(message), { complete: true });
      }
      if (request.isCancelled()) throw new Error('cancelled');
      await this.budget.acquire(pixels);
      try {
        if (request.isCancelled()) throw new Error('cancelled');
        const { data, info } = await this.decoder(bytes, options, meta.hasAlpha).then((image) =>
          image
            .resize(s.width, s.height, {
              fit: s.resize === 'stretch' ? 'fill' : 'cover',
              position: 'centre',
              kernel: 'linear',
              fastShrinkOnLoad: false,
            })
            .raw({ depth: 'uchar' })
            .toBuffer({ resolveWithObject: true }),
        );
        if (info.channels !== s.channels || info.width !== s.width || info.height !== s.height) {
          throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, not the expected size`);
        }
        this.writeFloats(data, out, offset);
      } finally {
        this.budget.release(pixels);
      }
    } catch (e) {
      if (request.isCancelled()) throw e;
      if (e.complete) throw new Error(`${where}: ${e.message}`);
      const limit = /exceeds pixel limit/.test(e.message) ? ` (max_input_pixels ${s.maxInputPixels})` : '';
      const timeout = /timeout/i.test(e.message) ? ` (image_timeout_s ${s.timeoutSeconds})` : '';
      const reason = e.message.replace(/\s*\n\s*/g, '; ');
      throw new Error(`${where}: ${FORMAT_NAMES[format]} image could not be decoded: ${reason}${limit}${timeout}`);
    }
  }

  /**
   * The image as a sharp pipeline in the output's colour space (sRGB or greyscale), alpha dropped.
   * sharp resizes an image that has alpha premultiplied, which shifts colours where alpha is partial;
   * image_client.py drops alpha before resizing (convert('RGB')), so such an image is flattened to
   * raw pixels in a pass of its own first.
   */
  async decoder(bytes, options, hasAlpha) {
    const s = this.settings;
    const image = this.sharp(bytes, options)
      .timeout({ seconds: s.timeoutSeconds })
      .removeAlpha()
      .toColourspace(s.channels === 3 ? 'srgb' : 'b-w');
    if (!hasAlpha) return image;
    const { data, info } = await image.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const raw = { width: info.width, height: info.height, channels: info.channels };
    return this.sharp(data, { raw }).timeout({ seconds: s.timeoutSeconds });
  }

  /** Interleaved bytes (HWC) to scaled floats in the configured layout and channel order. */
  writeFloats(buffer, out, offset) {
    const { channels, height, width, layout } = this.settings;
    // A plain Uint8Array view: indexing a Buffer (a subclass) in the hot loop is slower in V8.
    const data = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
    const pixels = height * width;
    const [t0, t1, t2] = this.tables;
    if (channels === 3 && layout === 'NCHW') {
      // One pass over the pixels, three planes written side by side (the common case).
      const [s0, s1, s2] = this.sources;
      const o1 = offset + pixels;
      const o2 = offset + 2 * pixels;
      for (let p = 0, j = 0; p < pixels; p++, j += 3) {
        out[offset + p] = t0[data[j + s0]];
        out[o1 + p] = t1[data[j + s1]];
        out[o2 + p] = t2[data[j + s2]];
      }
      return;
    }
    for (let c = 0; c < channels; c++) {
      const table = this.tables[c];
      const source = this.sources[c];
      const step = layout === 'NCHW' ? 1 : channels;
      for (let p = 0, j = source, k = offset + (layout === 'NCHW' ? c * pixels : c); p < pixels; p++) {
        out[k] = table[data[j]];
        j += channels;
        k += step;
      }
    }
  }
}
