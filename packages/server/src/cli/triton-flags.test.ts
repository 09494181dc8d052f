import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { REFUSED_FLAGS, TRITON_FLAGS, refusalOf } from './triton-flags.js';
import { SETTINGS } from './settings-schema.js';
import { SettingsError, parseSettings } from './settings.js';

// packages/server/{src,dist}/cli are both four levels below the repository root.
const doc = readFileSync(new URL('../../../../docs/cli.md', import.meta.url), 'utf8');
const tritonSection = doc.slice(
  doc.indexOf('\n## Triton flags\n'),
  doc.indexOf('\n## ', doc.indexOf('\n## Triton flags\n') + 1),
);

const REPO = ['--model-repository', '/models'];

function refusal(args: string[]): string {
  try {
    parseSettings([...REPO, ...args], {});
  } catch (err) {
    assert.ok(err instanceof SettingsError, String(err));
    return err.message;
  }
  assert.fail(`${args.join(' ')} was accepted`);
}

describe('Triton flags', () => {
  test('every tritonserver flag is a setting, an alias or refused ', () => {
    const settings = new Set(SETTINGS.flatMap((e) => [e.flag, ...(e.aliases ?? [])]));
    const refused = new Set(REFUSED_FLAGS.map((f) => f.flag));
    for (const flag of TRITON_FLAGS) {
      if (flag === 'help') continue;
      const long = `--${flag}`;
      assert.ok(
        settings.has(long as `--${string}`) !== refused.has(long as `--${string}`),
        `${long}: handled exactly once`,
      );
    }
    for (const { flag } of REFUSED_FLAGS) assert.ok(TRITON_FLAGS.includes(flag.slice(2)), `${flag} is not Triton's`);
  });

  test('docs/cli.md lists every refused flag with its reason, and every implemented one', () => {
    for (const refused of REFUSED_FLAGS) {
      const row = tritonSection.split('\n').find((line) => line.startsWith(`| \`${refused.flag} `));
      assert.ok(row, `docs/cli.md's Triton flags table lacks ${refused.flag}`);
      assert.ok(row.includes(refused.reason), `row of ${refused.flag} lacks its reason`);
      if (refused.accepts) assert.ok(row.includes(`\`${refused.flag}=${refused.accepts.described}\``));
    }
    const settings = new Set(SETTINGS.flatMap((e) => [e.flag, ...(e.aliases ?? [])]));
    for (const flag of TRITON_FLAGS.filter((f) => settings.has(`--${f}`))) {
      assert.ok(tritonSection.includes(`\`--${flag}\``), `docs/cli.md's Triton flags section lacks --${flag}`);
    }
  });

  test('a refused flag stops parsing with its reason, in both spellings', () => {
    assert.equal(
      refusal(['--cuda-memory-pool-byte-size=0:268435456']),
      '--cuda-memory-pool-byte-size is not supported: tensorgate has no CUDA memory pool (onnxruntime allocates its own GPU memory) (only --cuda-memory-pool-byte-size=<gpu>:0 is accepted)',
    );
    assert.match(refusal(['--http-thread-count', '8']), /^--http-thread-count is not supported: tensorgate serves/);
    assert.match(
      refusal(['--backend-directory=/opt/tritonserver/backends']),
      /backends \(js, onnxruntime, llm\) are built in/,
    );
    assert.match(refusal(['--model-namespacing=true']), /one model repository/);
    assert.match(refusal(['--model-config-name=h 100']), /--model-config-name 'h 100' is invalid/);
  });

  test('values that ask for what tensorgate does anyway are accepted', () => {
    const s = parseSettings(
      [
        ...REPO,
        '--allow-sagemaker=false',
        '--allow-vertex-ai',
        'false',
        '--rate-limit=off',
        '--cuda-memory-pool-byte-size=0:0',
        '--pinned-memory-pool-byte-size=0',
        '--model-namespacing=false',
        '--allow-client-shm=false',
        '--allow-gpu-metrics=false',
        '--response-cache-byte-size=0',
      ],
      {},
    );
    assert.equal(s.modelRepository, '/models');
    // Repeated: every occurrence is checked, not only the last.
    assert.match(refusal(['--allow-sagemaker=true', '--allow-sagemaker=false']), /no SageMaker endpoint/);
    const sagemaker = REFUSED_FLAGS.find((f) => f.flag === '--allow-sagemaker')!;
    assert.equal(refusalOf(sagemaker, 'OFF'), undefined);
    assert.match(refusalOf(sagemaker, 'maybe') ?? '', /only --allow-sagemaker=false is accepted/);
  });
});
