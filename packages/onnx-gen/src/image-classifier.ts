import { GraphBuilder } from './graph-builder.js';
import { SeededRandom } from './seeded-random.js';

/** Number of classes (`output` is [batch, CLASS_COUNT]), as in ImageNet-1k. */
export const CLASS_COUNT = 1000;
/** Seed of the classifier's weights. */
export const CLASSIFIER_SEED = 20240612;

const C1 = 16; // channels after the first conv
const C2 = 32; // channels after the second conv

/**
 * Label file of the classifier: `class_0000` … `class_0999`, one per line. Generated names
 * rather than the ImageNet synset list, whose licensing is unclear and which would suggest the
 * random weights actually recognize those classes.
 *
 * @example classifierLabels().split('\n')[1] === 'class_0001'
 */
export function classifierLabels(): string {
  let text = '';
  for (let i = 0; i < CLASS_COUNT; i++) text += `class_${String(i).padStart(4, '0')}\n`;
  return text;
}

/**
 * A small CNN with ResNet's interface, weights drawn from a seeded generator (He-uniform for
 * convolutions, 1/√fan-in for the classifier layer), outputting raw logits:
 * `input` FP32 [batch, 3, 224, 224] → Conv 7×7/4 (16) → Relu → MaxPool 2×2/2 → Conv 3×3/2 (32)
 * → Relu → GlobalAveragePool → Flatten → Gemm → `output` FP32 [batch, 1000].
 *
 * @example
 * ```ts
 * writeFileSync('model.onnx', imageClassifierOnnx());
 * ```
 */
export function imageClassifierOnnx(): Uint8Array {
  const rng = new SeededRandom(CLASSIFIER_SEED);
  const heBound = (fanIn: number): number => Math.sqrt(6 / fanIn);
  const conv1W = rng.uniformArray(C1 * 3 * 7 * 7, heBound(3 * 7 * 7));
  const conv1B = rng.uniformArray(C1, 0.1);
  const conv2W = rng.uniformArray(C2 * C1 * 3 * 3, heBound(C1 * 3 * 3));
  const conv2B = rng.uniformArray(C2, 0.1);
  const fcW = rng.uniformArray(CLASS_COUNT * C2, 1 / Math.sqrt(C2));
  const fcB = rng.uniformArray(CLASS_COUNT, 1 / Math.sqrt(C2));
  return new GraphBuilder('image_classifier', {
    docString:
      'Small CNN with the interface of an ImageNet classifier (3x224x224 in, 1000 logits out). ' +
      `Weights are seeded random (mulberry32, seed ${CLASSIFIER_SEED}), not trained: the classes mean nothing. ` +
      'Written by @tensorgate/onnx-gen.',
  })
    .input({ name: 'input', type: 'float32', shape: ['batch', 3, 224, 224] })
    .output({ name: 'output', type: 'float32', shape: ['batch', CLASS_COUNT] })
    .initializer('conv1.W', 'float32', [C1, 3, 7, 7], conv1W)
    .initializer('conv1.B', 'float32', [C1], conv1B)
    .initializer('conv2.W', 'float32', [C2, C1, 3, 3], conv2W)
    .initializer('conv2.B', 'float32', [C2], conv2B)
    .initializer('fc.W', 'float32', [CLASS_COUNT, C2], fcW)
    .initializer('fc.B', 'float32', [CLASS_COUNT], fcB)
    .node(
      'Conv',
      ['input', 'conv1.W', 'conv1.B'],
      ['c1'],
      { kernel_shape: [7, 7], strides: [4, 4], pads: [3, 3, 3, 3] },
      'conv1',
    )
    .node('Relu', ['c1'], ['r1'], {}, 'relu1')
    .node('MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool1')
    .node(
      'Conv',
      ['p1', 'conv2.W', 'conv2.B'],
      ['c2'],
      { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
      'conv2',
    )
    .node('Relu', ['c2'], ['r2'], {}, 'relu2')
    .node('GlobalAveragePool', ['r2'], ['gap'], {}, 'gap')
    .node('Flatten', ['gap'], ['features'], { axis: 1 }, 'flatten')
    .node('Gemm', ['features', 'fc.W', 'fc.B'], ['output'], { transB: 1 }, 'fc')
    .toBytes();
}
