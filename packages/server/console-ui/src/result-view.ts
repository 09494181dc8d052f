/**
 * An infer response: per output a classification table, an image, or the tensor (summary and
 * the first values).
 */
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import { imagePixels, outputImage, parseClassification, summarize } from '../../src/frontends/console/logic/results.js';
import type { InferResponse, OutputTensor } from './types.js';

const SHOWN = 64;

function ImageOutput({ output }: { output: OutputTensor }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const image = outputImage(output.datatype, output.shape)!;
  useEffect(() => {
    const ctx = canvas.current?.getContext('2d');
    if (!ctx) return;
    const pixels = imagePixels(output.data as number[], image);
    ctx.putImageData(new ImageData(pixels, image.width, image.height), 0, 0);
  }, [output]);
  return html`<canvas ref=${canvas} width=${image.width} height=${image.height} class="output-image"></canvas>`;
}

function OutputView({ output }: { output: OutputTensor }) {
  const classes = output.datatype === 'BYTES' ? parseClassification(output.data) : null;
  const summary = summarize(output.data);
  const image = outputImage(output.datatype, output.shape);
  return html`<div class="output" data-output=${output.name}>
    <h3><code>${output.name}</code> ${output.datatype} [${output.shape.join(', ')}]</h3>
    ${
      classes
        ? html`<table class="grid" data-testid="classes">
            <thead>
              <tr>
                <th>#</th>
                <th>Label</th>
                <th>Index</th>
                <th>Score</th>
              </tr>
            </thead>
            <tbody>
              ${classes.map(
                (c, i) =>
                  html`<tr>
                    <td>${i + 1}</td>
                    <td>${c.label}</td>
                    <td>${c.index}</td>
                    <td>${c.score.toFixed(4)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : html`${image && html`<${ImageOutput} output=${output} />`}
            ${
              summary &&
              html`<p class="muted">
                ${`${summary.count} values · min ${summary.min.toPrecision(4)} · max ${summary.max.toPrecision(4)} · mean ${summary.mean.toPrecision(4)} · argmax ${summary.argmax}`}
              </p>`
            }
            <pre class="code tensor" data-testid="tensor">
${JSON.stringify(output.data.slice(0, SHOWN))}${output.data.length > SHOWN ? ` … ${output.data.length - SHOWN} more` : ''}</pre>`
    }
  </div>`;
}

/** The response. */
export function ResultView({ response }: { response: InferResponse }) {
  return html`<section class="result" data-testid="result">
    <h2>Response <span class="muted">${response.model_name} v${response.model_version ?? ''}</span></h2>
    ${response.outputs.map((o) => html`<${OutputView} key=${o.name} output=${o} />`)}
  </section>`;
}
