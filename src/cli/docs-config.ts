/** `npm run docs:config`: rewrites the configuration table in README.md from the schema. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withConfigTable } from '../config/config-table.js';
import { packageRoot } from './package-root.js';

const readme = join(packageRoot(), 'README.md');
const before = readFileSync(readme, 'utf8');
const after = withConfigTable(before);
if (after !== before) writeFileSync(readme, after);
console.log(after === before ? 'README.md config table is up to date' : 'README.md config table updated');
