// Files appear whole or not at all: write to a temporary file beside the target, fsync, rename.

import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT')
      throw new UserError(`${file}: cannot write: disk full (${code}); nothing was changed`, 5);
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}
