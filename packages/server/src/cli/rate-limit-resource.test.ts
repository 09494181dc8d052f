import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRateLimitResource, parseRateLimitResources, RateLimitResourceError } from './rate-limit-resource.js';
import { parseSettings, parseSettingsWithWarnings } from './settings.js';

const FORMAT =
  "--rate-limit-resource option format is '<resource_name>:<count>:<device>' or '<resource_name>:<count>'. Got ";

describe('--rate-limit-resource', () => {
  test("name:count (every device) and name:count:device, as Triton's parser", () => {
    assert.deepEqual(parseRateLimitResource('R1:10'), { name: 'R1', count: 10, device: -1 });
    assert.deepEqual(parseRateLimitResource('R2:5:0'), { name: 'R2', count: 5, device: 0 });
    assert.deepEqual(parseRateLimitResource('R2:8:-1'), { name: 'R2', count: 8, device: -1 });
    assert.deepEqual(parseRateLimitResource('Mem:0'), { name: 'Mem', count: 0, device: -1 });
  });

  test("Triton's format error; numbers, negative counts and devices below -1 refused by name", () => {
    const message = (entry: string): string => {
      try {
        parseRateLimitResource(entry);
      } catch (e) {
        assert.ok(e instanceof RateLimitResourceError);
        return e.message;
      }
      throw new Error(`${entry} was accepted`);
    };
    assert.equal(message('R1'), `${FORMAT}R1`);
    assert.equal(message('R1:1:0:2'), `${FORMAT}R1:1:0:2`);
    assert.match(message('R1:four'), /R1:four: the count must be a whole number \(got 'four'\)/);
    assert.match(message('R1:1.5'), /the count must be a whole number/);
    assert.match(message('R1:2:gpu0'), /the device must be a whole number/);
    assert.match(message('R1:-2'), /the count must not be negative/);
    assert.match(message('R1:2:-3'), /the device must be a device id \(0 or more\), or -1 for every device/);
    assert.match(message(':2'), /the resource name is empty/);
  });

  test('a device this server has no instance on is refused: device 0 (host, GPU 0) and its GPUs only', () => {
    assert.deepEqual(parseRateLimitResources(['R:1:0', 'R:2'], []).length, 2);
    assert.deepEqual(parseRateLimitResources(['R:1:1'], [0, 1])[0], { name: 'R', count: 1, device: 1 });
    assert.throws(
      () => parseRateLimitResources(['R:1', 'R:10:10'], []),
      /--rate-limit-resource R:10:10: no instance can run on device 10: this server has device 0 .* and no GPU/,
    );
    assert.throws(() => parseRateLimitResources(['R:1:2'], [0, 1]), /and GPUs 0, 1/);
  });

  test('settings: repeatable, from the env var too; a bad entry stops start-up; without execution_count, a warning', () => {
    const { settings, warnings } = withWarnings([
      '--rate-limit',
      'execution_count',
      '--rate-limit-resource',
      'R1:4',
      '--rate-limit-resource=R2:1:0',
    ]);
    assert.equal(settings.rateLimit, 'execution_count');
    assert.deepEqual(settings.rateLimitResource, ['R1:4', 'R2:1:0']);
    assert.deepEqual(warnings, []);
    const env = parseSettings(['--model-repository', '/m'], {
      TENSORGATE_RATE_LIMIT: 'execution_count',
      TENSORGATE_RATE_LIMIT_RESOURCE: 'R1:4;R2:1:0',
    });
    assert.deepEqual(env.rateLimitResource, ['R1:4', 'R2:1:0']);
    assert.throws(() => parseSettings(['--model-repository', '/m', '--rate-limit-resource', 'R1'], {}), /format is/);
    assert.throws(
      () => parseSettings(['--model-repository', '/m', '--rate-limit', 'fast'], {}),
      /execution_count, off/,
    );
    const off = withWarnings(['--rate-limit-resource', 'R1:4']);
    assert.equal(off.settings.rateLimit, 'off');
    assert.match(off.warnings.join('\n'), /--rate-limit-resource has no effect with --rate-limit off/);
  });
});

function withWarnings(args: string[]): ReturnType<typeof parseSettingsWithWarnings> {
  return parseSettingsWithWarnings(['--model-repository', '/m', ...args], {});
}
