/** Temporary directories for a test file, removed after its suite: `const tmp = tempDirs(test); const dir = tmp('prefix-');`. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tempDirs(suite: { after(fn: () => void): void }): (prefix: string) => string {
  const made: string[] = [];
  suite.after(() => {
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
  });
  return (prefix) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
