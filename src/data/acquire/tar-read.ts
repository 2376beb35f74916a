// Reads .tar.gz archives with node-tar's parser, refusing any entry that could write outside
// the target: absolute paths, `..` segments, symbolic and hard links, devices and FIFOs.
// Nothing here ever lets node-tar write to disk; files come back as bytes.

import fs from 'node:fs';
import path from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { UserError } from '../../errors.js';

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

/**
 * The entry's path made relative and clean ('./a//b' -> 'a/b'), or a UserError when it could
 * escape the folder it is unpacked into.
 */
export function safeEntryPath(archive: string, raw: string): string {
  if (raw.startsWith('/') || raw.startsWith('\\') || /^[A-Za-z]:/.test(raw)) {
    throw new UserError(`${archive}: entry "${raw}" has an absolute path; refusing to unpack it`);
  }
  const parts = raw.split(/[/\\]+/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) {
    throw new UserError(`${archive}: entry "${raw}" climbs out of the archive with ".."; refusing to unpack it`);
  }
  return parts.join('/');
}

/**
 * Calls `onFile` with each regular file's clean relative path and content, in archive order.
 * Directories pass silently; anything else is a UserError naming the archive and the entry.
 */
export async function readTarGz(archive: string, onFile: (rel: string, bytes: Buffer) => void): Promise<void> {
  let input: fs.ReadStream;
  try {
    fs.accessSync(archive, fs.constants.R_OK);
    input = fs.createReadStream(archive);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${archive}: ${code === 'ENOENT' ? 'file not found' : `cannot read (${code})`}`);
  }
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      input.destroy();
      if (err instanceof UserError) reject(err);
      else reject(new UserError(`${archive}: not a valid .tar.gz archive (${(err as Error)?.message ?? err})`));
    };
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        if (settled) return entry.resume();
        try {
          const rel = safeEntryPath(archive, entry.path);
          if (entry.type === 'Directory') return entry.resume();
          if (!FILE_TYPES.has(entry.type)) {
            const what = entry.type === 'SymbolicLink' || entry.type === 'Link' ? 'a link' : `of type ${entry.type}`;
            throw new UserError(
              `${archive}: entry "${entry.path}" is ${what}; only plain files and folders are unpacked`,
            );
          }
          const chunks: Buffer[] = [];
          entry.on('data', (c: Buffer) => chunks.push(c));
          entry.on('end', () => {
            if (settled) return;
            try {
              onFile(rel, Buffer.concat(chunks));
            } catch (err) {
              fail(err);
            }
          });
        } catch (err) {
          entry.resume();
          fail(err);
        }
      },
    });
    parser.on('error', fail);
    parser.on('end', () => {
      if (!settled) {
        settled = true;
        resolve();
      }
    });
    input.on('error', fail);
    input.pipe(parser);
  });
}

/** Unpacks every file of `archive` under `dest` (which should be a fresh temp folder). */
export async function extractTarGz(archive: string, dest: string): Promise<string[]> {
  const root = path.resolve(dest);
  const written: string[] = [];
  await readTarGz(archive, (rel, bytes) => {
    const target = path.resolve(root, rel);
    // safeEntryPath already refused escapes; this guards against a future change to it.
    if (!target.startsWith(root + path.sep)) throw new UserError(`${archive}: entry "${rel}" escapes ${dest}`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, bytes);
    written.push(rel);
  });
  return written;
}
