/**
 * tunekit's own version for the ONNX `producer_version` field. Read from the nearest package.json named "tunekit" above this
 * file, which works from the sources (src/core) and from the build (dist/src/core) alike.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The version string, or '0.0.0-unknown' when no tunekit package.json is found (e.g. a bundled copy). */
export function producerVersion(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'tunekit' && typeof pkg.version === 'string') return (cached = pkg.version);
    } catch {
      // no package.json at this level: keep walking up
    }
  }
  return (cached = '0.0.0-unknown');
}
