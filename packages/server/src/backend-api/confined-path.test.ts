import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import fc from 'fast-check';
import { resolveConfinedPath, type ConfineOptions } from './confined-path.js';

/**
 * A tree with every kind of link a model folder can hold:
 *
 * ```
 * <tmp>/outside/secret.txt              what must never be reached
 * <tmp>/store/m/                        the model's real folder
 *   a/file.txt  a/b/file.txt
 *   a/up -> ..                          back to the model folder
 *   a/out -> ../../../outside           leaves it
 *   in -> a                             stays inside
 *   abs_in -> <tmp>/repo/m/a            absolute, inside (through the repository symlink)
 *   abs_out -> <tmp>/outside/secret.txt absolute, outside
 *   gone -> <tmp>/outside/nothing       outside and missing
 *   loop -> loop
 *   ..2024_01_01/config.txt  ..data -> ..2024_01_01  config.txt -> ..data/config.txt  (a Kubernetes volume)
 * <tmp>/repo/m -> ../store/m            the model folder is itself a symlink
 * ```
 */
let tmp: string;
let modelPath: string;
let realModel: string;
let outsideDir: string;

before(async () => {
  tmp = await realpath(await mkdtemp(join(tmpdir(), 'tg-confined-')));
  outsideDir = join(tmp, 'outside');
  await mkdir(outsideDir);
  await writeFile(join(outsideDir, 'secret.txt'), 'secret');
  realModel = join(tmp, 'store', 'm');
  await mkdir(join(realModel, 'a', 'b'), { recursive: true });
  await writeFile(join(realModel, 'a', 'file.txt'), 'a');
  await writeFile(join(realModel, 'a', 'b', 'file.txt'), 'b');
  await symlink('..', join(realModel, 'a', 'up'));
  await symlink('../../../outside', join(realModel, 'a', 'out'));
  await symlink('a', join(realModel, 'in'));
  await mkdir(join(tmp, 'repo'));
  await symlink('../store/m', join(tmp, 'repo', 'm'));
  modelPath = join(tmp, 'repo', 'm');
  await symlink(join(modelPath, 'a'), join(realModel, 'abs_in'));
  await symlink(join(outsideDir, 'secret.txt'), join(realModel, 'abs_out'));
  await symlink(join(outsideDir, 'nothing'), join(realModel, 'gone'));
  await symlink('loop', join(realModel, 'loop'));
  await mkdir(join(realModel, '..2024_01_01'));
  await writeFile(join(realModel, '..2024_01_01', 'config.txt'), 'k8s');
  await symlink('..2024_01_01', join(realModel, '..data'));
  await symlink('..data/config.txt', join(realModel, 'config.txt'));
});
after(() => rm(tmp, { recursive: true, force: true }));

const opts = (extra: Partial<ConfineOptions> = {}): ConfineOptions => ({
  modelPath,
  field: 'label_filename',
  ...extra,
});
const isInside = (p: string): boolean => p === realModel || p.startsWith(realModel + sep);
const OUTSIDE = /resolves outside the model folder/;

describe('resolveConfinedPath', () => {
  test('plain names, links that stay inside, and a Kubernetes ..data volume resolve to real paths', async () => {
    assert.deepEqual(await resolveConfinedPath('a/file.txt', opts()), {
      path: join(realModel, 'a', 'file.txt'),
      kind: 'file',
    });
    assert.equal((await resolveConfinedPath('in/b/file.txt', opts())).path, join(realModel, 'a', 'b', 'file.txt'));
    assert.equal((await resolveConfinedPath('a/up/a/file.txt', opts())).path, join(realModel, 'a', 'file.txt'));
    assert.equal((await resolveConfinedPath('abs_in/file.txt', opts())).path, join(realModel, 'a', 'file.txt'));
    assert.deepEqual(await resolveConfinedPath('config.txt', opts()), {
      path: join(realModel, '..2024_01_01', 'config.txt'),
      kind: 'file',
    });
    assert.deepEqual(await resolveConfinedPath('', opts()), { path: realModel, kind: 'directory' });
    assert.equal((await resolveConfinedPath('file.txt', opts({ base: join(modelPath, 'a') }))).kind, 'file');
    assert.equal((await resolveConfinedPath('../in/file.txt', opts({ base: join(modelPath, 'a') }))).kind, 'file');
  });

  test('an absolute name is accepted only inside the folder, under its given or its real path', async () => {
    assert.equal((await resolveConfinedPath(join(modelPath, 'a', 'file.txt'), opts())).kind, 'file');
    assert.equal((await resolveConfinedPath(join(realModel, 'a', 'file.txt'), opts())).kind, 'file');
    await assert.rejects(resolveConfinedPath(join(outsideDir, 'secret.txt'), opts()), OUTSIDE);
    await assert.rejects(resolveConfinedPath('/etc/passwd', opts()), OUTSIDE);
    await assert.rejects(resolveConfinedPath(`${modelPath}/../m/a/file.txt`, opts()), OUTSIDE);
  });

  test('.. above the folder, and links out of it, fail naming the field, the name and the folder', async () => {
    await assert.rejects(resolveConfinedPath('../../outside/secret.txt', opts({ owner: "output 'PROB'" })), {
      code: 'INVALID_ARG',
      message: `label_filename '../../outside/secret.txt' of output 'PROB' resolves outside the model folder '${modelPath}'`,
    });
    for (const name of ['a/out/secret.txt', 'abs_out', 'a/up/..', '..', 'in/../../m/a/file.txt', 'gone']) {
      await assert.rejects(resolveConfinedPath(name, opts()), OUTSIDE, name);
    }
    await assert.rejects(resolveConfinedPath('../../file.txt', opts({ base: join(modelPath, 'a'), field: 'x' })), {
      message: /^x '..\/..\/file.txt' resolves outside/,
    });
  });

  test('missing files, files used as folders, loops and NUL', async () => {
    assert.deepEqual(await resolveConfinedPath('a/nope.txt', opts()), {
      path: join(realModel, 'a', 'nope.txt'),
      kind: 'missing',
    });
    assert.equal((await resolveConfinedPath('a/file.txt/x', opts())).kind, 'missing');
    assert.equal((await resolveConfinedPath('nope/../a/file.txt', opts())).kind, 'missing');
    await assert.rejects(resolveConfinedPath('nope/../../../x', opts()), OUTSIDE);
    await assert.rejects(resolveConfinedPath('loop', opts()), { code: 'INVALID_ARG', message: /too many levels/ });
    await assert.rejects(resolveConfinedPath('a\0b', opts()), { code: 'INVALID_ARG', message: /NUL/ });
    await assert.rejects(resolveConfinedPath('x'.repeat(5000), opts()), { code: 'INVALID_ARG', message: /longer/ });
    await assert.rejects(resolveConfinedPath('a', { modelPath: join(tmp, 'none'), field: 'f' }), {
      code: 'UNAVAILABLE',
    });
  });

  test('nothing outside the folder is ever stat-ed or read, whatever the name', async () => {
    const require = createRequire(import.meta.url);
    const fsp = require('node:fs/promises') as Record<string, (...args: unknown[]) => unknown>;
    const touched: string[] = [];
    const saved = { lstat: fsp['lstat']!, readlink: fsp['readlink']! };
    for (const [name, fn] of Object.entries(saved)) {
      fsp[name] = (p: unknown, ...rest: unknown[]) => {
        touched.push(String(p));
        return fn(p, ...rest);
      };
    }
    syncBuiltinESMExports();
    try {
      for (const name of [
        'a/out/secret.txt',
        'abs_out',
        'gone',
        '../../outside/secret.txt',
        'a/up/../x',
        'in/file.txt',
      ]) {
        await resolveConfinedPath(name, opts()).catch(() => undefined);
      }
    } finally {
      Object.assign(fsp, saved);
      syncBuiltinESMExports();
    }
    assert.ok(touched.length > 0, 'the walk looks at the components inside the folder');
    assert.deepEqual(
      touched.filter((p) => !isInside(p)),
      [],
    );
  });

  test('property: any name either resolves inside to what the OS opens, or is refused', async () => {
    const component = fc.constantFrom(
      '..',
      '.',
      'a',
      'b',
      'file.txt',
      'in',
      'up',
      'out',
      'abs_in',
      'abs_out',
      'gone',
      'loop',
      'nope',
      '..data',
      'config.txt',
      'secret.txt',
    );
    const prefix = fc.constantFrom('', `${modelPath}/`, `${realModel}/`, '/', `${outsideDir}/`, `${tmp}/store/`);
    const base = fc.constantFrom(modelPath, join(modelPath, 'a'), join(realModel, 'a', 'b'));
    const seen = { refused: 0, missing: 0, found: 0 };
    await fc.assert(
      fc.asyncProperty(prefix, fc.array(component, { maxLength: 8 }), base, async (pre, parts, from) => {
        const name = pre + parts.join('/');
        const osPath = name.startsWith('/') ? name : `${from}/${name}`;
        // The OS's own answer (realpath(3) resolves physically, as open() does).
        const os = await realpath(osPath).then(
          (p) => ({ p }),
          (e: NodeJS.ErrnoException) => ({ err: e.code }),
        );
        let ours;
        try {
          ours = await resolveConfinedPath(name, opts({ base: from }));
        } catch (e) {
          const err = e as { code: string; message: string };
          assert.equal(err.code, 'INVALID_ARG', err.message);
          // Refused: fine whenever the OS would end outside, fail, or pass outside on the way.
          if ('p' in os && isInside(os.p)) assert.match(err.message, OUTSIDE, `${name}: refused but inside`);
          seen.refused++;
          return;
        }
        assert.ok(isInside(ours.path), `${name} → ${ours.path} is outside`);
        seen[ours.kind === 'missing' ? 'missing' : 'found']++;
        if (ours.kind === 'missing') {
          assert.ok('err' in os, `${name}: missing for us, ${JSON.stringify(os)} for the OS`);
        } else {
          assert.deepEqual(os, { p: ours.path }, name);
          assert.equal(await realpath(ours.path), ours.path, 'no symlink left in the result');
        }
      }),
      { numRuns: 400 },
    );
    // The generator reaches every outcome, so the property is not vacuous.
    assert.ok(seen.refused > 20 && seen.missing > 20 && seen.found > 20, JSON.stringify(seen));
  });
});
