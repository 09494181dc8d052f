/**
 * examples/model_repository/image_preprocess over the real wire (HTTP and gRPC): encoded JPEG, PNG
 * and WebP bytes become the FP32 tensor Triton's image_client.py would send (checked against
 * Pillow's values), every scaling / channel order / layout / resize mode, batches, and hostile
 * images (truncated, not an image, 20000 x 20000, decompression bombs) answered with INVALID_ARG
 * while the server's peak memory grows by less than 512 MB and it keeps serving.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceClient, InferenceServerError, InferInput } from '@tensorgate/client';
import sharp from 'sharp';
import {
  hugePng,
  imageRepository,
  pattern,
  patternPixels,
  pngTextBomb,
  setParameter,
  solid,
  truncated,
  WEBP_BOMB,
} from '../helpers/images.js';
import { peakRssGrowth } from '../helpers/memory.js';
import { startServer, type TestServer } from '../helpers/servers.js';

const MB = 1024 * 1024;
const PLANE = 224 * 224;

let s: TestServer;
let repo: Awaited<ReturnType<typeof imageRepository>>;
let clients: Record<'http' | 'grpc', InferenceClient>;
before(async () => {
  const hwc = (c: string): string => c.replace('dims: [ 3, 224, 224 ]', 'dims: [ 224, 224, 3 ]');
  repo = await imageRepository({
    image_preprocess: { from: 'image_preprocess' },
    vgg_bgr: {
      from: 'image_preprocess',
      edit: (c) => setParameter(setParameter(c, 'scaling', 'VGG'), 'channel_order', 'BGR'),
    },
    none_nhwc: {
      from: 'image_preprocess',
      edit: (c) => setParameter(setParameter(hwc(c), 'scaling', 'NONE'), 'layout', 'NHWC'),
    },
    small_limit: { from: 'image_preprocess', edit: (c) => setParameter(c, 'max_input_pixels', '10000') },
    none_crop: {
      from: 'image_preprocess',
      edit: (c) => setParameter(setParameter(c, 'scaling', 'NONE'), 'resize', 'center_crop'),
    },
  });
  // Explicit mode, every model loaded: the configuration tests reload with a bad config.
  s = await startServer(['--model-control-mode', 'explicit', '--load-model', '*'], repo.path);
  clients = { http: InferenceClient.http(s.http), grpc: InferenceClient.grpc(`127.0.0.1:${s.grpcPort}`) };
});
after(async () => {
  await clients.http.close();
  await clients.grpc.close();
  await s.close();
  await repo.remove();
});

async function preprocess(images: Buffer[], model = 'image_preprocess', via: 'http' | 'grpc' = 'grpc') {
  const input = new InferInput('IMAGE', [images.length, 1], 'BYTES').setData(images.map((b) => new Uint8Array(b)));
  const r = await clients[via].infer(model, [input]);
  return r.asTypedArray('PREPROCESSED') as Float32Array;
}

async function refused(images: Buffer[], via: 'http' | 'grpc' = 'grpc'): Promise<InferenceServerError> {
  const e = await preprocess(images, 'image_preprocess', via).then(
    () => assert.fail('expected the request to fail'),
    (err: unknown) => err,
  );
  assert.ok(e instanceof InferenceServerError, String(e));
  return e;
}

/** float32 of image_client.py's INCEPTION scaling, (x / 127.5) - 1 in numpy float32. */
const inception = (x: number): number => Math.fround(Math.fround(x / 127.5) - 1);

describe('scaling, channel order and layout', () => {
  test('INCEPTION, RGB, NCHW (the example): a solid colour gives three constant planes', async () => {
    for (const via of ['http', 'grpc'] as const) {
      const out = await preprocess([await solid(40, 30, [200, 100, 50], 'png')], 'image_preprocess', via);
      assert.equal(out.length, 3 * PLANE);
      for (const [c, x] of [200, 100, 50].entries()) {
        const plane = out.subarray(c * PLANE, (c + 1) * PLANE);
        assert.ok(
          plane.every((v) => v === inception(x)),
          `plane ${c} over ${via}`,
        );
      }
    }
  });

  test('VGG with BGR: mean subtracted per RGB channel, then the planes in B, G, R order', async () => {
    const out = await preprocess([await solid(16, 16, [200, 100, 50], 'webp')], 'vgg_bgr');
    assert.deepEqual([out[0], out[PLANE], out[2 * PLANE]], [50 - 104, 100 - 117, 200 - 123]);
    assert.ok(out.subarray(0, PLANE).every((v) => v === -54));
  });

  test('NONE with NHWC: pixel values as they are, channels interleaved; alpha is dropped, grey becomes RGB', async () => {
    const rgba = await solid(10, 10, [200, 100, 50], 'png', 0.5);
    const grey = await sharp({ create: { width: 9, height: 9, channels: 3, background: '#4d4d4d' } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    assert.equal((await sharp(grey).metadata()).channels, 1);
    const out = await preprocess([rgba, grey], 'none_nhwc');
    assert.deepEqual(Array.from(out.subarray(0, 6)), [200, 100, 50, 200, 100, 50]);
    assert.deepEqual(Array.from(out.subarray(3 * PLANE, 3 * PLANE + 3)), [77, 77, 77]);
  });

  test('center_crop keeps the aspect ratio and crops the middle; the default stretches', async () => {
    // 672 x 224: a red, a green and a blue third. Cropped: the green middle; stretched: all three.
    const raw = Buffer.alloc(672 * 224 * 3);
    for (let i = 0; i < 672 * 224; i++) raw[i * 3 + Math.floor((i % 672) / 224)] = 255;
    const png = await sharp(raw, { raw: { width: 672, height: 224, channels: 3 } })
      .png()
      .toBuffer();
    const cropped = await preprocess([png], 'none_crop');
    assert.ok(cropped.subarray(0, PLANE).every((v) => v === 0));
    assert.ok(cropped.subarray(PLANE, 2 * PLANE).every((v) => v === 255));
    const stretched = await preprocess([png], 'vgg_bgr');
    const red = stretched.subarray(2 * PLANE, 3 * PLANE); // BGR: red is the last plane, minus 123
    assert.equal(red[10], 255 - 123);
    assert.equal(red[223], -123);
  });
});

describe('the same values as Pillow (image_client.py)', () => {
  // Pillow 9.4's Image.open(f).convert('RGB').resize((224, 224), Image.BILINEAR) of
  // pattern(320, 256, 'png'), at rows and columns 0, 31, 63, 95, 127, 159, 191, 223 (R, G, B):
  // python3 -c "import numpy as np; from PIL import Image; a = np.array(Image.open('p.png')
  //   .convert('RGB').resize((224, 224), Image.BILINEAR)); p = [0,31,63,95,127,159,191,223];
  //   print([int(a[y, x, c]) for y in p for x in p for c in range(3)])"
  const PILLOW = [
    0, 0, 133, 36, 0, 4, 72, 0, 56, 109, 0, 200, 145, 0, 251, 181, 0, 144, 218, 0, 16, 255, 0, 32, 0, 36, 124, 36, 36,
    242, 72, 36, 193, 109, 36, 62, 145, 36, 14, 181, 36, 113, 218, 36, 230, 255, 36, 216, 0, 72, 131, 36, 72, 36, 72,
    72, 75, 109, 72, 180, 145, 72, 219, 181, 72, 140, 218, 72, 45, 255, 72, 56, 0, 109, 125, 36, 109, 187, 72, 109, 162,
    109, 109, 93, 145, 109, 68, 181, 109, 119, 218, 109, 181, 255, 109, 174, 0, 145, 129, 36, 145, 106, 72, 145, 115,
    109, 145, 140, 145, 145, 150, 181, 145, 130, 218, 145, 108, 255, 145, 110, 0, 182, 128, 36, 182, 109, 72, 182, 116,
    109, 182, 139, 145, 182, 147, 181, 182, 130, 218, 182, 110, 255, 182, 112, 0, 218, 126, 36, 218, 185, 72, 218, 160,
    109, 218, 94, 145, 218, 70, 181, 218, 120, 218, 218, 179, 255, 218, 172, 0, 255, 131, 36, 255, 37, 72, 255, 75, 109,
    255, 180, 145, 255, 218, 181, 255, 140, 218, 255, 46, 255, 255, 57,
  ];
  const POINTS = [0, 31, 63, 95, 127, 159, 191, 223];

  test('a downscaled PNG is within 3 levels of Pillow at every sampled pixel; lossless WebP gives the same tensor', async () => {
    const [fromPng, fromWebp] = await Promise.all([
      preprocess([await pattern(320, 256, 'png')]),
      preprocess([await pattern(320, 256, 'webp')], 'image_preprocess', 'http'),
    ]);
    assert.deepEqual(fromWebp, fromPng);
    let k = 0;
    let worst = 0;
    for (const y of POINTS) {
      for (const x of POINTS) {
        for (let c = 0; c < 3; c++) {
          const ours = (fromPng[c * PLANE + y * 224 + x]! + 1) * 127.5;
          worst = Math.max(worst, Math.abs(ours - PILLOW[k++]!));
        }
      }
    }
    assert.ok(worst <= 3.001, `largest difference from Pillow: ${worst} levels`);
  });

  test('JPEG is accepted and lands near the lossless result (JPEG loses a little)', async () => {
    const [jpeg, png] = await Promise.all([
      preprocess([await pattern(320, 256, 'jpeg')]),
      preprocess([await pattern(320, 256, 'png')]),
    ]);
    let sum = 0;
    for (let i = 0; i < jpeg.length; i++) sum += Math.abs(jpeg[i]! - png[i]!) * 127.5;
    assert.ok(sum / jpeg.length < 4, `mean difference ${sum / jpeg.length} levels`);
  });

  test('a batch of images gives each image the tensor it gets alone', async () => {
    const images = [
      await pattern(320, 256, 'png'),
      await solid(50, 60, [1, 2, 3], 'webp'),
      await pattern(100, 80, 'jpeg'),
    ];
    for (const via of ['http', 'grpc'] as const) {
      const batch = await preprocess(images, 'image_preprocess', via);
      assert.equal(batch.length, 3 * 3 * PLANE);
      for (const [i, img] of images.entries()) {
        assert.deepEqual(batch.subarray(i * 3 * PLANE, (i + 1) * 3 * PLANE), await preprocess([img]), `image ${i}`);
      }
    }
  });
});

describe('hostile images', () => {
  test('truncated, empty and non-image bytes are INVALID_ARG naming the element and the reason', async () => {
    const png = await pattern(320, 256, 'png');
    const cases: Array<[string, Buffer, RegExp]> = [
      [
        'truncated JPEG',
        truncated(await pattern(320, 256, 'jpeg')),
        /IMAGE\[0\]: JPEG image could not be decoded: .*premature end/i,
      ],
      ['truncated PNG', truncated(png), /IMAGE\[0\]: PNG image could not be decoded: /],
      ['truncated WebP', truncated(await pattern(320, 256, 'webp')), /IMAGE\[0\]: WebP image could not be decoded: /],
      [
        'HTML',
        Buffer.from('<html><body>not an image</body></html>'),
        /IMAGE\[0\]: not a JPEG, PNG or WebP image \(38 bytes, starting 3c 68 74 6d/,
      ],
      ['empty', Buffer.alloc(0), /IMAGE\[0\]: not a JPEG, PNG or WebP image \(0 bytes, starting \(empty\)\)/],
      ['GIF (not allowed)', await sharp(png).gif().toBuffer(), /not a JPEG, PNG or WebP image .* starting 47 49 46 38/],
    ];
    for (const [what, bytes, message] of cases) {
      for (const via of ['http', 'grpc'] as const) {
        const e = await refused([bytes], via);
        assert.equal(e.code, 'INVALID_ARG', `${what} over ${via}: ${e.message}`);
        assert.match(e.message, message, `${what} over ${via}`);
      }
    }
    const e = await refused([png, truncated(png)]);
    assert.match(e.message, /IMAGE\[1\] \(image 2 of 2\): PNG image could not be decoded/);
  });

  test('max_input_pixels is checked from the header: baseline and progressive JPEG (EXIF first), PNG, WebP', async () => {
    const raw = patternPixels(200, 100);
    const img = () => sharp(raw, { raw: { width: 200, height: 100, channels: 3 } });
    const cases: Array<[string, Buffer]> = [
      [
        'JPEG',
        await img()
          .withExif({ IFD0: { ImageDescription: 'x'.repeat(5000) } })
          .jpeg()
          .toBuffer(),
      ],
      ['JPEG', await img().jpeg({ progressive: true }).toBuffer()],
      ['PNG', await img().png().toBuffer()],
      ['WebP', await img().webp().toBuffer()],
    ];
    for (const [name, bytes] of cases) {
      const input = new InferInput('IMAGE', [1, 1], 'BYTES').setData([new Uint8Array(bytes)]);
      const e = await clients.grpc.infer('small_limit', [input]).then(
        () => assert.fail(`${name} passed`),
        (err: unknown) => err as InferenceServerError,
      );
      assert.equal(e.code, 'INVALID_ARG');
      assert.equal(e.message, `IMAGE[0]: ${name} image of 200x100 pixels is over max_input_pixels (10000)`);
      assert.equal((await preprocess([bytes])).length, 3 * PLANE, `${name} within the default limit`);
    }
    // Markers that do not parse: sharp reads the header instead, and refuses the bytes.
    const e = await refused([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 4, 1, 2, 0x12, 0x34, 0x56, 0x78])]);
    assert.match(e.message, /^IMAGE\[0\]: JPEG image could not be decoded: /);
  });

  test('a 20000 x 20000 PNG, a 16383 x 16383 WebP bomb and a 200 MB text-chunk bomb: bounded memory, the server serves on', async (t) => {
    const [huge, textBomb] = await Promise.all([hugePng(), pngTextBomb(200)]);
    // A WebP at the pixel limit (5000 x 5000 = max_input_pixels): decoded, in full RGBA.
    const atLimit = await sharp({ create: { width: 5000, height: 5000, channels: 3, background: '#246' } })
      .webp({ lossless: true })
      .toBuffer();
    const good = await pattern(320, 256, 'jpeg');
    const reference = await preprocess([good]);
    const timings: string[] = [];
    const growth = await peakRssGrowth(async () => {
      for (const [what, bytes, message] of [
        [
          '20000x20000 PNG',
          huge,
          /^IMAGE\[0\]: PNG image of 20000x20000 pixels is over max_input_pixels \(25000000\)$/,
        ],
        [
          '16383x16383 WebP',
          WEBP_BOMB,
          /^IMAGE\[0\]: WebP image of 16383x16383 pixels is over max_input_pixels \(25000000\)$/,
        ],
      ] as const) {
        for (const via of ['http', 'grpc'] as const) {
          const started = performance.now();
          const e = await refused([bytes], via);
          timings.push(`${what} (${bytes.length} bytes) over ${via}: ${Math.round(performance.now() - started)} ms`);
          assert.equal(e.code, 'INVALID_ARG', e.message);
          assert.match(e.message, message);
        }
      }
      // Accepted: the text chunk is not inflated into memory, and the image is a plain 64 x 64.
      const started = performance.now();
      const white = await preprocess([textBomb]);
      timings.push(`PNG with a 200 MB zTXt bomb: answered in ${Math.round(performance.now() - started)} ms`);
      assert.ok(white.every((v) => v === 1));
      const big = await preprocess([atLimit, atLimit]);
      assert.equal(big.length, 2 * 3 * PLANE);
      assert.deepEqual(await preprocess([good]), reference);
    });
    t.diagnostic(timings.join('; '));
    t.diagnostic(`peak resident memory growth: ${Math.round(growth / MB)} MB`);
    assert.ok(growth < 512 * MB, `peak growth ${Math.round(growth / MB)} MB`);
  });
});

describe('configuration', () => {
  test('an unknown parameter or a bad value fails the load by name; the loaded version keeps serving', async () => {
    const cfg = (await (await fetch(`${s.http}/v2/models/image_preprocess/config`)).json()) as {
      parameters: Record<string, { string_value: string }>;
    };
    for (const [params, message] of [
      [{ scalling: 'VGG' }, /unknown parameter 'scalling' \(known: scaling, resize, /],
      [{ scaling: 'MOBILENET' }, /parameter 'scaling' must be one of NONE, INCEPTION, VGG, got 'MOBILENET'/],
      [{ formats: 'jpeg,tiff' }, /parameter 'formats' must be one of jpeg, png, webp, gif, got 'tiff'/],
      [{ max_input_pixels: '-1' }, /parameter 'max_input_pixels' must be a whole number from 1 to 268402689, got '-1'/],
    ] as const) {
      const parameters = { ...cfg.parameters };
      for (const [k, v] of Object.entries(params)) parameters[k] = { string_value: v };
      const r = await fetch(`${s.http}/v2/repository/models/image_preprocess/load`, {
        method: 'POST',
        body: JSON.stringify({ parameters: { config: JSON.stringify({ ...cfg, parameters }) } }),
      });
      const body = (await r.json()) as { error: string };
      // initialize() of a JS model threw: the load fails with INTERNAL (500), naming the file.
      assert.equal(r.status, 500, body.error);
      assert.match(body.error, /image_preprocess\/1\/model\.js: initialize\(\) failed: Error: image_preprocess: /);
      assert.match(body.error, message);
    }
    assert.equal((await preprocess([await solid(8, 8, [0, 0, 0], 'png')])).length, 3 * PLANE);
  });

  test('unloaded and loaded again (workers that loaded sharp end, new ones load it), it decodes as before', async () => {
    const png = await pattern(320, 256, 'png');
    const before = await preprocess([png], 'vgg_bgr');
    for (let i = 0; i < 3; i++) {
      const post = (action: string): Promise<Response> =>
        fetch(`${s.http}/v2/repository/models/vgg_bgr/${action}`, { method: 'POST' });
      assert.equal((await post('unload')).status, 200);
      assert.equal((await post('load')).status, 200);
      assert.deepEqual(await preprocess([png], 'vgg_bgr'), before);
    }
  });

  test('without sharp resolvable from the repository, the load says how to install it', async () => {
    const bare = await imageRepository({ image_preprocess: { from: 'image_preprocess' } }, { linkModules: false });
    const server = await startServer(['--model-control-mode', 'explicit'], bare.path);
    try {
      const r = await fetch(`${server.http}/v2/repository/models/image_preprocess/load`, { method: 'POST' });
      const body = (await r.json()) as { error: string };
      assert.equal(r.status, 500);
      assert.match(body.error, /image_preprocess needs the npm package 'sharp', resolved from .*npm install sharp/);
    } finally {
      await server.close();
      await bare.remove();
    }
  });
});
