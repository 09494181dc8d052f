// Builds throwaway model repositories for the benchmarks: copies an example model folder under new
// names and edits its config.pbtxt as text, so one server can serve the same model with dynamic
// batching on and off side by side (two model names, one process) and rounds can interleave.
import {
  copyFileSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Creates a temporary repository holding one copy of `sourceDir` per variant:
 * variants = [{ name, edit?: (configText) => configText }]. Model files are hard-linked when the
 * file system allows (an image classifier can be large), copied otherwise. Returns { path, remove() }.
 */
export function makeRepository(sourceDir, variants) {
  const path = mkdtempSync(join(tmpdir(), 'tg-bench-repo-'));
  const original = readFileSync(join(sourceDir, 'config.pbtxt'), 'utf8');
  for (const v of variants) {
    copyTree(sourceDir, join(path, v.name));
    const text = setModelName(v.edit ? v.edit(original) : original, v.name);
    writeFileSync(join(path, v.name, 'config.pbtxt'), text);
  }
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

function copyTree(from, to) {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory()) copyTree(src, dst);
    else if (e.name !== 'config.pbtxt') {
      try {
        linkSync(src, dst);
      } catch {
        copyFileSync(src, dst);
      }
    }
  }
}

/** Sets the top-level `name:` (the model name must match its folder), adding it when absent. */
export function setModelName(text, name) {
  const re = /^name\s*:\s*"[^"]*"/m;
  return re.test(text) ? text.replace(re, `name: "${name}"`) : `name: "${name}"\n${text}`;
}

/** Finds the top-level `key { ... }` block (also `key: { ... }`); returns [start, end) or undefined. */
export function findBlock(text, key) {
  const re = new RegExp(`^[ \\t]*${key}\\s*:?\\s*\\{`, 'gm');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (depthAt(text, m.index) !== 0) continue;
    let depth = 0;
    for (let i = m.index + m[0].length - 1; i < text.length; i++) {
      const c = text[i];
      if (c === '#') i = lineEnd(text, i);
      else if (c === '"' || c === "'") i = stringEnd(text, i);
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) return [m.index, i + 1];
    }
    throw new Error(`unbalanced braces in ${key} block`);
  }
  return undefined;
}

/** Removes the top-level `key { ... }` block, e.g. removeBlock(text, 'dynamic_batching'). */
export function removeBlock(text, key) {
  const at = findBlock(text, key);
  return at ? text.slice(0, at[0]) + text.slice(at[1]).replace(/^[ \t]*\n/, '') : text;
}

/**
 * Turns dynamic batching on. Without overrides an existing block is kept as the example configured
 * it, and an empty one (Triton's defaults) is added when there is none; with `maxQueueDelayUs`
 * and/or `preferred` the block is replaced by one with exactly those fields.
 */
export function withDynamicBatching(text, { maxQueueDelayUs, preferred } = {}) {
  const has = findBlock(text, 'dynamic_batching') !== undefined;
  if (has && maxQueueDelayUs === undefined && preferred === undefined) return text;
  const fields = [];
  if (preferred?.length) fields.push(`  preferred_batch_size: [ ${preferred.join(', ')} ]`);
  if (maxQueueDelayUs !== undefined) fields.push(`  max_queue_delay_microseconds: ${maxQueueDelayUs}`);
  return `${removeBlock(text, 'dynamic_batching').trimEnd()}\ndynamic_batching {\n${fields.join('\n')}${fields.length ? '\n' : ''}}\n`;
}

/** Reads a top-level integer field such as max_batch_size (undefined when absent). */
export function readIntField(text, key) {
  const m = new RegExp(`^${key}\\s*:\\s*(-?\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

function depthAt(text, end) {
  let depth = 0;
  for (let i = 0; i < end; i++) {
    const c = text[i];
    if (c === '#') i = lineEnd(text, i);
    else if (c === '"' || c === "'") i = stringEnd(text, i);
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return depth;
}

function lineEnd(text, i) {
  const n = text.indexOf('\n', i);
  return n < 0 ? text.length : n;
}

function stringEnd(text, i) {
  const q = text[i];
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === q) return j;
  }
  return text.length;
}

/**
 * Adds `parameters` entries (e.g. { intra_op_thread_count: '1' }) at the end of the config; a key
 * already set in the example is overridden by the later entry.
 */
export function withParameters(text, params) {
  const entries = Object.entries(params).map(
    ([k, v]) => `parameters { key: "${k}" value: { string_value: "${String(v).replace(/"/g, '\\"')}" } }`,
  );
  return entries.length ? `${text.trimEnd()}\n${entries.join('\n')}\n` : text;
}

/** Parses `--param` values of the form key=value,key=value into an object. */
export function parseParams(spec) {
  const out = {};
  for (const kv of (spec ?? '').split(',').filter(Boolean)) {
    const at = kv.indexOf('=');
    if (at <= 0) throw new Error(`--param: expected key=value, got '${kv}'`);
    out[kv.slice(0, at).trim()] = kv.slice(at + 1).trim();
  }
  return out;
}
