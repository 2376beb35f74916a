// Loads the built addon, or explains why there is none: `addon` is null and `reason` says why.
// Its functions and their arguments are declared once, in ctc's src/backend/onednn.ts (OneDnnAddon).
'use strict';
const path = require('node:path');

let addon = null;
let reason = null;
try {
  addon = require(path.join(__dirname, 'build', 'Release', 'ctc_onednn.node'));
} catch (err) {
  reason =
    err && err.code === 'MODULE_NOT_FOUND'
      ? 'ctc-onednn is not built'
      : `ctc-onednn failed to load: ${err && err.message ? err.message.split('\n')[0] : String(err)}`;
}
module.exports = { addon, reason };
