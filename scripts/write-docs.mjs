// npm run docs: rewrites the config reference in docs/experiments.md from the code
// (src/config/reference.ts). Run after `tsc`; test/config/reference.test.ts fails while that copy is stale.
import fs from 'node:fs';
import { withReference } from '../dist/src/config/reference.js';

const file = new URL('../docs/experiments.md', import.meta.url);
const before = fs.readFileSync(file, 'utf8');
const after = withReference(before);
if (after !== before) fs.writeFileSync(file, after);
console.log(
  after === before
    ? 'docs/experiments.md: config reference already current'
    : 'docs/experiments.md: config reference rewritten',
);
