/**
 * Finds the NVIDIA GPUs this process can use, so config normalization can turn `KIND_AUTO` into
 * `KIND_GPU` and check the `gpus` of `KIND_GPU` groups, as Triton does with the CUDA runtime's
 * device count.
 *
 * Hand-written rather than asking CUDA or NVML: both are native libraries the server does not
 * otherwise need, and loading the CUDA runtime at startup would cost time and GPU memory on every
 * host. The NVIDIA kernel driver lists one folder per GPU under `/proc/driver/nvidia/gpus/` (named by
 * PCI bus id, e.g. `0000:01:00.0`, each with an `information` file), which is enough to count
 * them; `CUDA_VISIBLE_DEVICES` is then applied the way the CUDA runtime applies it. Other platforms
 * (and Linux hosts without the driver, e.g. WSL 2, which has no such folder) report none; the
 * `--gpus` setting lists GPUs by hand there.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A GPU the driver lists. */
export interface PhysicalGpu {
  /** PCI bus id, the folder name (e.g. `0000:01:00.0`). */
  readonly busId: string;
  /** `GPU UUID` from the driver's information file (e.g. `GPU-5f2c…`), when readable. */
  readonly uuid?: string;
  /** `Model` from the information file, for the startup log. */
  readonly model?: string;
}

/** What {@link detectGpus} found. */
export interface GpuDetection {
  /** CUDA device ids this process can use: `0..n-1` (CUDA renumbers the visible devices). */
  readonly ids: readonly number[];
  /** Why the list is what it is, for the startup log. */
  readonly source: string;
}

/** Options of {@link detectGpus}; tests point them at a fake `/proc` and environment. */
export interface GpuDetectOptions {
  /** Root of the proc filesystem (default `/proc`). */
  readonly procRoot?: string;
  /** Environment holding `CUDA_VISIBLE_DEVICES` (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Platform (default `process.platform`); only `linux` is probed. */
  readonly platform?: string;
}

/** Reads `key: value` lines of a driver information file. */
function readInformation(dir: string): { uuid?: string; model?: string; excluded: boolean } {
  let text = '';
  try {
    text = readFileSync(join(dir, 'information'), 'utf8');
  } catch {
    // Unreadable (permissions, older driver): the GPU still counts, only its details are unknown.
    return { excluded: false };
  }
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const uuid = fields.get('GPU UUID');
  const model = fields.get('Model');
  return {
    ...(uuid && uuid.startsWith('GPU-') ? { uuid } : {}),
    ...(model ? { model } : {}),
    // The driver marks GPUs it has taken offline (e.g. after a fatal error); CUDA cannot use them.
    excluded: /^yes/i.test(fields.get('GPU Excluded') ?? ''),
  };
}

/**
 * Lists the GPUs of the NVIDIA driver, ordered by PCI bus id (`nvidia-smi`'s order, and CUDA's
 * when `CUDA_DEVICE_ORDER=PCI_BUS_ID` or the GPUs are all the same model). Returns `undefined` when
 * the driver's folder does not exist.
 */
export function listPhysicalGpus(procRoot = '/proc'): PhysicalGpu[] | undefined {
  const dir = join(procRoot, 'driver', 'nvidia', 'gpus');
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return undefined;
  }
  // Bus ids are fixed-width lowercase hex, so text order is bus order.
  return names.sort().flatMap((busId) => {
    const info = readInformation(join(dir, busId));
    if (info.excluded) return [];
    return [{ busId, ...(info.uuid ? { uuid: info.uuid } : {}), ...(info.model ? { model: info.model } : {}) }];
  });
}

/**
 * How many of `gpus` a process sees under `CUDA_VISIBLE_DEVICES=value`, following the CUDA
 * runtime: entries are read in order and the first one that names no device ends the list (so
 * `0,-1,1` means one device, and `-1` or an empty value none). An entry is a device index, or a
 * `GPU-` UUID or unique prefix of one. A repeated device also ends the list (an assumption: CUDA
 * does not document it). `MIG-` entries count as one device each when the host has a GPU, since
 * MIG instances are not listed under `/proc`; so do `GPU-` entries when no UUID could be read.
 *
 * @example
 * ```ts
 * countVisibleGpus('1,0', gpus); // 2 when the host has two GPUs: CUDA ids 0 and 1
 * ```
 */
export function countVisibleGpus(value: string, gpus: readonly PhysicalGpu[]): number {
  const seen = new Set<string>();
  const uuidsKnown = gpus.some((g) => g.uuid !== undefined);
  let count = 0;
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    let device: string | undefined;
    if (/^\d+$/.test(entry)) {
      device = gpus[Number(entry)]?.busId;
    } else if (/^mig-/i.test(entry) && gpus.length > 0) {
      device = entry;
    } else if (/^gpu-/i.test(entry)) {
      if (!uuidsKnown) device = gpus.length > 0 ? entry : undefined;
      else {
        const matches = gpus.filter((g) => g.uuid?.toLowerCase().startsWith(entry.toLowerCase()));
        device = matches.length === 1 ? matches[0]!.busId : undefined;
      }
    }
    if (device === undefined || seen.has(device)) break;
    seen.add(device);
    count++;
  }
  return count;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * Detects the CUDA device ids this process can use. Never throws: anything unreadable means no GPUs.
 *
 * @example
 * ```ts
 * const { ids, source } = detectGpus(); // e.g. [0, 1], '2 NVIDIA GPUs: 0000:01:00.0 (NVIDIA A100 …), …'
 * normalizeConfig(raw, { modelName, availableGpus: ids });
 * ```
 */
export function detectGpus(options: GpuDetectOptions = {}): GpuDetection {
  const platform = options.platform ?? process.platform;
  if (platform !== 'linux') return { ids: [], source: `GPU detection is not supported on ${platform}` };
  const gpus = listPhysicalGpus(options.procRoot);
  if (gpus === undefined) return { ids: [], source: 'no NVIDIA driver (no /proc/driver/nvidia/gpus)' };
  const listed = gpus.map((g, i) => `${i}: ${g.busId}${g.model ? ` (${g.model})` : ''}`).join(', ');
  const found = `${gpus.length} NVIDIA GPU${gpus.length === 1 ? '' : 's'}${gpus.length > 0 ? ` [${listed}]` : ''}`;
  const visible = (options.env ?? process.env)['CUDA_VISIBLE_DEVICES'];
  if (visible === undefined) return { ids: range(gpus.length), source: found };
  const count = countVisibleGpus(visible, gpus);
  return { ids: range(count), source: `${found}, ${count} visible with CUDA_VISIBLE_DEVICES='${visible}'` };
}

/** The `--gpus` setting, parsed: detect, none, or the CUDA device ids to use. */
export type GpuSetting = 'auto' | readonly number[];

/**
 * Parses the `--gpus` setting: `auto` (detect), `none`, or comma-separated CUDA device ids
 * (`0,1`) for hosts where detection cannot see the GPUs (WSL 2, Windows) or to keep the server
 * on some of them.
 *
 * @throws Error with the reason when the text is none of these
 * @example
 * ```ts
 * parseGpuSetting('0, 2'); // [0, 2]
 * ```
 */
export function parseGpuSetting(text: string): GpuSetting {
  const value = text.trim().toLowerCase();
  if (value === 'auto') return 'auto';
  if (value === 'none') return [];
  const items = value.split(',').map((s) => s.trim());
  if (!items.every((s) => /^\d{1,4}$/.test(s))) {
    throw new Error("must be 'auto', 'none' or comma-separated GPU ids such as 0,1");
  }
  return [...new Set(items.map(Number))].sort((a, b) => a - b);
}

/**
 * Resolves the `--gpus` setting: `detect` (the host's detection by default) for `auto`, else the
 * listed ids as given.
 *
 * @throws Error when the setting is invalid (the CLI checks it earlier)
 * @example
 * ```ts
 * resolveGpus(settings.gpus).ids; // what the model manager hands to config normalization
 * ```
 */
export function resolveGpus(setting: string, detect: () => GpuDetection = () => detectGpus()): GpuDetection {
  const parsed = parseGpuSetting(setting);
  if (parsed === 'auto') return detect();
  return { ids: parsed, source: parsed.length === 0 ? '--gpus none' : `--gpus ${parsed.join(',')}` };
}
