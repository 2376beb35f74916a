// npm run docs: rewrites the README's config reference from the code (src/config/reference.ts).
// Run after `tsc`; test/config/reference.test.ts fails while the README's copy is stale.
import fs from 'node:fs';
import { withReference } from '../dist/src/config/reference.js';

const file = new URL('../README.md', import.meta.url);
const before = fs.readFileSync(file, 'utf8');
const after = withReference(before);
if (after !== before) fs.writeFileSync(file, after);
console.log(after === before ? 'README.md: config reference already current' : 'README.md: config reference rewritten');
