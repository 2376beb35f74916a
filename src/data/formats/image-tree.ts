// Reads an image-folder tree, `train/<class>/<image>` and `test/<class>/<image>`, from a folder
// or a .tar.gz archive (possibly under one top folder, which is detected), and orders it:
// classes sorted, files sorted by name, classes interleaved so any prefix mixes all classes.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../errors.js';
import { readTarGz } from '../acquire/tar-read.js';

export interface TreeFile {
  /** Path relative to the folder or archive root, '/'-separated. */
  rel: string;
  bytes: Uint8Array;
}

export interface TreeImage extends TreeFile {
  label: number;
}

export interface ImageTree {
  source: string;
  kind: 'folder' | 'archive';
  /** The detected top folder holding train/ and test/ ('' when they sit at the root). */
  root: string;
  classNames: string[];
  /** In dataset order: classes interleaved, files by name within a class. */
  train: TreeImage[];
  test: TreeImage[];
  /** sha256 of the archive file, or of the sorted "<sha256>  <path>" lines of a folder. */
  sha256: string;
}

export const SPLITS = ['train', 'test'] as const;

export async function readImageTree(source: string): Promise<ImageTree> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch {
    throw new UserError(`${source}: no such folder or archive`);
  }
  if (stat.isDirectory()) {
    const files = walkFolder(source);
    return { source, kind: 'folder', sha256: treeHash(files), ...organizeTree(files, source) };
  }
  const files: TreeFile[] = [];
  await readTarGz(source, (rel, bytes) => files.push({ rel, bytes }));
  return { source, kind: 'archive', sha256: await fileSha256(source), ...organizeTree(files, source) };
}

/** Every file under `dir`, skipping hidden files and folders (.DS_Store, ._* and the like). */
export function walkFolder(dir: string): TreeFile[] {
  const out: TreeFile[] = [];
  const visit = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      const full = path.join(dir, child);
      try {
        const isDir = entry.isDirectory() || (entry.isSymbolicLink() && fs.statSync(full).isDirectory());
        if (isDir) visit(child);
        else out.push({ rel: child, bytes: fs.readFileSync(full) });
      } catch (err) {
        if (err instanceof UserError) throw err;
        throw new UserError(`${full}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
      }
    }
  };
  visit('');
  return out;
}

/** Finds train/ and test/, checks the class folders, and puts the images in dataset order. */
export function organizeTree(files: TreeFile[], source: string): Omit<ImageTree, 'source' | 'kind' | 'sha256'> {
  const visible = files.filter((f) => !f.rel.split('/').some((s) => s.startsWith('.')));
  const roots = new Set<string>();
  for (const f of visible) {
    const parts = f.rel.split('/');
    if (parts.length >= 3 && (SPLITS as readonly string[]).includes(parts[parts.length - 3])) {
      roots.add(parts.slice(0, -3).join('/'));
    }
  }
  if (roots.size === 0) throw new UserError(`${source}: no train/<class>/<image> or test/<class>/<image> files found`);
  if (roots.size > 1) {
    const where = [...roots]
      .sort()
      .map((r) => `${r || '.'}/`)
      .join(', ');
    throw new UserError(`${source}: train/ and test/ folders found in several places (${where}); expected one`);
  }
  const [root] = roots;
  const prefix = root === '' ? '' : `${root}/`;
  const byClass = { train: new Map<string, TreeFile[]>(), test: new Map<string, TreeFile[]>() };
  for (const f of visible) {
    if (!f.rel.startsWith(prefix)) continue;
    const parts = f.rel.slice(prefix.length).split('/');
    const split = parts[0] as (typeof SPLITS)[number];
    if (!SPLITS.includes(split)) continue;
    if (parts.length !== 3) throw new UserError(`${source}: ${f.rel}: expected ${prefix}${split}/<class>/<image>`);
    const list = byClass[split].get(parts[1]) ?? [];
    list.push(f);
    byClass[split].set(parts[1], list);
  }
  for (const split of SPLITS) {
    if (byClass[split].size === 0) throw new UserError(`${source}: no images under ${prefix}${split}/`);
  }
  const classNames = [...byClass.train.keys()].sort();
  const testClasses = [...byClass.test.keys()].sort();
  if (classNames.join('\n') !== testClasses.join('\n')) {
    const onlyTrain = classNames.filter((c) => !byClass.test.has(c));
    const onlyTest = testClasses.filter((c) => !byClass.train.has(c));
    throw new UserError(
      `${source}: train/ and test/ must have the same class folders; only in train: ${onlyTrain.join(', ') || '-'}; ` +
        `only in test: ${onlyTest.join(', ') || '-'}`,
    );
  }
  return { root, classNames, train: interleave(byClass.train, classNames), test: interleave(byClass.test, classNames) };
}

/** Round-robin over the classes (in label order), files sorted by path within each class. */
function interleave(byClass: Map<string, TreeFile[]>, classNames: string[]): TreeImage[] {
  const lists = classNames.map((c) =>
    [...(byClass.get(c) ?? [])].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0)),
  );
  const out: TreeImage[] = [];
  const longest = Math.max(...lists.map((l) => l.length));
  for (let i = 0; i < longest; i++) {
    lists.forEach((list, label) => {
      if (i < list.length) out.push({ ...list[i], label });
    });
  }
  return out;
}

/** sha256 of the sorted "<sha256 of file>  <path>" lines: one hash for a set of files. */
export function treeHash(files: TreeFile[]): string {
  const lines = files
    .map((f) => `${createHash('sha256').update(f.bytes).digest('hex')}  ${f.rel}\n`)
    .sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : 1));
  return createHash('sha256').update(lines.join('')).digest('hex');
}

export function fileSha256(file: string, algorithm = 'sha256'): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash(algorithm);
    fs.createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}
