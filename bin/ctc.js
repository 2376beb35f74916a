#!/usr/bin/env node
// The ctc command: runs the built CLI (npm install builds it into dist/).
import { main } from '../dist/src/cli.js';

await main(process.argv);
