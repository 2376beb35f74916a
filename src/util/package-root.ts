// The folder of ctc's own package.json, found by walking up from this file, so the same code
// works from the built dist/ and from the TypeScript sources.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file) && (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string }).name === 'ctc')
      return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('ctc: cannot find its own package.json');
    dir = parent;
  }
}

export const PACKAGE_ROOT = findPackageRoot();
