/**
 * Chooses which of the version folders a model serves, by its `version_policy`
 * (latest { num_versions }, all, specific { versions }), as Triton does.
 */
import type { VersionPolicy } from '../config/model-config.js';

/**
 * @example
 * ```ts
 * selectVersions([1, 2, 3], { latest: { num_versions: 2 } }) // [2, 3]
 * ```
 */
export function selectVersions(available: readonly number[], policy: VersionPolicy): number[] {
  const sorted = [...available].sort((a, b) => a - b);
  if (policy.all) return sorted;
  if (policy.specific) {
    const want = new Set(policy.specific.versions);
    return sorted.filter((v) => want.has(v));
  }
  const n = Math.max(1, policy.latest?.num_versions ?? 1);
  return sorted.slice(-n);
}
