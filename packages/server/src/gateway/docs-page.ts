/**
 * The `/docs` page: one self-contained HTML document (inline CSS, no scripts, no CDN assets, since
 * a gateway may run where nothing outside can be reached) listing every route with its model, its
 * inputs and outputs, and an example `curl` request. The machine-readable description is
 * `/openapi.json`; point Swagger UI or Redoc at it where they are available.
 */
import type { RouteSpec, RoutesFile } from './route-types.js';

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A sample body for a route: its `example`, else one built from the input mappings. */
export function exampleBody(route: RouteSpec): unknown {
  if (route.example !== undefined) return route.example;
  const body: Record<string, unknown> = {};
  for (const input of route.inputs) {
    if (!input.from || input.from.length !== 1 || typeof input.from[0] !== 'string') continue;
    const count = input.shape
      ? Math.max(
          1,
          input.shape.reduce((a, b) => a * Math.abs(b), 1),
        )
      : 1;
    const sample = input.datatype === 'BYTES' ? 'text' : input.datatype === 'BOOL' ? true : 0;
    // Large tensors (images) get a placeholder: a page of zeros would help nobody.
    body[input.from[0]] =
      count === 1
        ? sample
        : count <= 64
          ? Array.from({ length: count }, () => sample)
          : `<${count} ${input.datatype} values, nested or flat>`;
  }
  return body;
}

function routeSection(route: RouteSpec, origin: string): string {
  const body = JSON.stringify(exampleBody(route));
  const short = body.length > 400 ? `${body.slice(0, 400)}…` : body;
  const curl = `curl -s${route.mode === 'stream' ? 'N' : ''} -X POST ${origin}${route.path} -H 'content-type: application/json' -d '${short}'`;
  const inputs = route.inputs
    .map(
      (i) =>
        `<li><code>${esc(i.name)}</code> ${esc(i.datatype)} ${i.shape ? `[${i.shape.join(', ')}]` : ''} ← ` +
        (i.fromText ? `<code>${esc(i.fromText)}</code>` : `constant ${esc(JSON.stringify(i.value))}`) +
        (i.valueIsDefault ? ` (default ${esc(JSON.stringify(i.value))})` : '') +
        (i.optional ? ' (optional)' : '') +
        '</li>',
    )
    .join('');
  const outputs =
    route.outputs.length === 0
      ? '<li>every output under its own name</li>'
      : route.outputs
          .map((o) => {
            const post = [o.softmax && 'softmax', o.argmax && 'argmax', o.topK !== undefined && `top-${o.topK}`]
              .filter(Boolean)
              .join(', ');
            return `<li><code>${esc(o.field)}</code> ← <code>${esc(o.tensor)}</code>${post ? ` (${post})` : ''}</li>`;
          })
          .join('');
  return `<section>
<h2><span class="m">POST</span> ${esc(route.path)}</h2>
${route.summary ? `<p>${esc(route.summary)}</p>` : ''}${route.description ? `<p>${esc(route.description)}</p>` : ''}
<p>Model <code>${esc(route.model)}</code>${route.version ? ` version ${esc(route.version)}` : ''}, mode <code>${route.mode}</code>${route.timeoutMs ? `, timeout ${route.timeoutMs} ms` : ''}.</p>
<h3>Inputs</h3><ul>${inputs}</ul>
<h3>Reply fields</h3><ul>${outputs}</ul>
<h3>Example</h3><pre>${esc(curl)}</pre>
</section>`;
}

/**
 * Renders the docs page. `origin` (e.g. `http://localhost:8080`) is used in the curl examples.
 *
 * @example
 * ```ts
 * reply.type('text/html').send(renderDocsPage(routesFile, 'http://localhost:8080'));
 * ```
 */
export function renderDocsPage(file: Pick<RoutesFile, 'routes' | 'title'>, origin: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(file.title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
section{border-top:1px solid #ddd;padding:.5rem 0}
pre{background:#f4f4f4;padding:.75rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
code{background:#f4f4f4;padding:0 .2rem}.m{background:#2a6;color:#fff;padding:0 .4rem;border-radius:3px;font-size:.8em}
</style></head><body>
<h1>${esc(file.title)}</h1>
<p>JSON endpoints served by <code>tensorgate gateway</code>. Machine-readable description:
<a href="openapi.json">/openapi.json</a> (OpenAPI 3). Upstream health: <a href="health">/health</a>.
Errors are <code>{"error": "..."}</code> with 400 (bad request), 429, 502 (upstream failed), 503 (no healthy upstream), 504 (upstream timeout).</p>
${file.routes.map((r) => routeSection(r, origin)).join('\n')}
</body></html>
`;
}
