import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprintFolder } from './folder-fingerprint.js';

let root: string;
let outside: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tg-fingerprint-'));
  outside = join(root, 'outside');
  await mkdir(outside);
  for (let i = 0; i < 50; i++) await writeFile(join(outside, `f${i}`), 'x');
});
after(() => rm(root, { recursive: true, force: true }));

let n = 0;
/** A fresh model folder with config.pbtxt and 1/model.js. */
async function model(): Promise<string> {
  const dir = join(root, `m${n++}`);
  await mkdir(join(dir, '1'), { recursive: true });
  await writeFile(join(dir, 'config.pbtxt'), 'name: "m"');
  await writeFile(join(dir, '1', 'model.js'), 'export default class M {}');
  return dir;
}

const fp = async (dir: string, limits = {}): Promise<string> => {
  const r = await fingerprintFolder(dir, limits);
  assert.equal(r.truncated, undefined, `walk of ${dir} was truncated`);
  return r.hash;
};

describe('fingerprintFolder', () => {
  test('changes when a file, a new file or a folder changes; empty for a missing folder', async () => {
    const dir = await model();
    const a = await fp(dir);
    assert.equal(await fp(dir), a);
    await writeFile(join(dir, 'config.pbtxt'), 'name: "m" max_batch_size: 4');
    const b = await fp(dir);
    assert.notEqual(b, a);
    await mkdir(join(dir, '2'));
    assert.notEqual(await fp(dir), b);
    assert.equal((await fingerprintFolder(join(root, 'nope'))).hash, '');
  });

  test('a link out of the folder is fingerprinted by its target text, never followed', async () => {
    const dir = await model();
    await symlink(outside, join(dir, 'usr_link'));
    // 50 files outside; a walk that followed the link would pass the limit of 10 entries.
    const a = await fp(dir, { entries: 10 });
    await writeFile(join(outside, 'f0'), 'changed, and longer');
    await writeFile(join(outside, 'new'), 'y');
    assert.equal(await fp(dir, { entries: 10 }), a, 'a change outside the folder changed the fingerprint');
    await unlink(join(dir, 'usr_link'));
    await symlink(join(outside, 'f1'), join(dir, 'usr_link'));
    assert.notEqual(await fp(dir, { entries: 10 }), a, 'retargeting the link went unseen');
  });

  test('a chain of links that ends outside is not followed either', async () => {
    const dir = await model();
    await symlink(outside, join(dir, 'b'));
    await symlink('b', join(dir, 'a'));
    const a = await fp(dir, { entries: 10 });
    await writeFile(join(outside, 'f2'), 'changed again, longer still');
    assert.equal(await fp(dir, { entries: 10 }), a);
  });

  test('cycles end: a link to the folder itself or to an ancestor is walked once', async () => {
    const dir = await model();
    await symlink('.', join(dir, 'self'));
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    await symlink('../..', join(dir, 'a', 'b', 'up'));
    await symlink(dir, join(dir, 'absolute_self'));
    await fp(dir, { entries: 20 });
  });

  test('links that stay inside are followed: a ConfigMap-style swap of ..data is seen', async () => {
    const dir = join(root, `cm${n++}`);
    await mkdir(join(dir, '..v1'), { recursive: true });
    await mkdir(join(dir, '..v2'));
    await writeFile(join(dir, '..v1', 'config.pbtxt'), 'name: "cm"');
    await writeFile(join(dir, '..v2', 'config.pbtxt'), 'name: "cm" max_batch_size: 8');
    await symlink('..v1', join(dir, '..data'));
    await symlink('..data/config.pbtxt', join(dir, 'config.pbtxt'));
    const a = await fp(dir);
    await writeFile(join(dir, '..v1', 'config.pbtxt'), 'name: "cm" max_batch_size: 2');
    const b = await fp(dir);
    assert.notEqual(b, a, 'a change behind an inside link went unseen');
    await unlink(join(dir, '..data'));
    await symlink('..v2', join(dir, '..data'));
    assert.notEqual(await fp(dir), b, 'swapping ..data went unseen');
  });

  test('bounded: past the entry limit the walk stops and says so, having seen the top level first', async () => {
    const dir = await model();
    await mkdir(join(dir, '1', 'node_modules'), { recursive: true });
    for (let i = 0; i < 40; i++) await writeFile(join(dir, '1', 'node_modules', `p${i}.js`), '');
    const a = await fingerprintFolder(dir, { entries: 20 });
    assert.equal(a.truncated, 'entries');
    await writeFile(join(dir, 'config.pbtxt'), 'name: "m" max_batch_size: 16');
    const b = await fingerprintFolder(dir, { entries: 20 });
    assert.notEqual(b.hash, a.hash, 'config.pbtxt is walked before deep trees');
  });

  test('bounded: folders deeper than the depth limit are not walked', async () => {
    const dir = await model();
    await mkdir(join(dir, 'a', 'b', 'c'), { recursive: true });
    const r = await fingerprintFolder(dir, { depth: 1 });
    assert.equal(r.truncated, 'depth');
  });
});
