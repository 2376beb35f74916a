// Every relative link in README.md and docs/*.md names a file that exists, relative to the page
// that links it (a #fragment is stripped; web, mail and pure #anchor links are not checked), and
// the README's guide map links every page in docs/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir } from '../cli/helpers.js';

/** The Markdown pages the links test reads: README.md and docs/*.md. */
function pages(): string[] {
  const docs = path.join(ROOT, 'docs');
  const inDocs = fs
    .readdirSync(docs)
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join(docs, f));
  return [path.join(ROOT, 'README.md'), ...inDocs];
}

/** Link targets of a Markdown text: inline `[text](target)`, images and `[label]: target` definitions, outside code. */
function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/^(```|~~~)[^]*?^\1/gm, '').replace(/`[^`\n]*`/g, '');
  const inline = [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
  const defined = [...prose.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]);
  return [...inline, ...defined];
}

/** `page: target` for each relative link of the page whose file does not exist. */
function brokenLinks(page: string): string[] {
  const broken: string[] = [];
  for (const target of linkTargets(fs.readFileSync(page, 'utf8'))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    const file = decodeURIComponent(target.split('#')[0]);
    const resolved = file.startsWith('/') ? path.join(ROOT, file) : path.resolve(path.dirname(page), file);
    if (!fs.existsSync(resolved)) broken.push(`${path.relative(ROOT, page)}: ${target}`);
  }
  return broken;
}

test('the link check finds a broken relative link and skips web links, anchors and code', () => {
  const dir = tempDir('ctc-links-');
  fs.writeFileSync(path.join(dir, 'there.md'), '# there\n');
  const page = path.join(dir, 'page.md');
  fs.writeFileSync(
    page,
    [
      'See [there](there.md#a-section), ![a figure](there.md "title"), [web](https://example.org/x.md),',
      '[mail](mailto:a@b.c), [anchor](#top) and [gone](missing/page.md#x).',
      '',
      '```ts',
      'const a = b[0](c.md);',
      '```',
      '',
      '`[code](not-a-link.md)`',
      '',
      '[defined]: ../nowhere.md',
    ].join('\n'),
  );
  const rel = path.relative(ROOT, page);
  assert.deepEqual(brokenLinks(page), [`${rel}: missing/page.md#x`, `${rel}: ../nowhere.md`]);
});

test('every relative link in README.md and docs/*.md resolves', () => {
  const all = pages();
  assert.ok(all.length > 1, 'docs/ has pages');
  const broken = all.flatMap(brokenLinks);
  assert.deepEqual(broken, [], `broken links:\n  ${broken.join('\n  ')}`);
});

test("the README's guide map links every page in docs/", () => {
  const readme = linkTargets(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).map((t) => t.split('#')[0]);
  const unlinked = pages()
    .slice(1)
    .map((page) => path.relative(ROOT, page))
    .filter((rel) => !readme.includes(rel));
  assert.deepEqual(unlinked, [], `docs pages the README does not link: ${unlinked.join(', ')}`);
});
