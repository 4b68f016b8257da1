import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configKeys } from '../../src/config/config-keys.js';
import { configTable, TABLE_BEGIN, TABLE_END, withConfigTable } from '../../src/config/config-table.js';

const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

describe('README.md', () => {
  it('has the configuration table of the current schema (run `npm run docs:config` if not)', () => {
    expect(withConfigTable(readme)).toBe(readme);
    const table = readme.slice(readme.indexOf(TABLE_BEGIN), readme.indexOf(TABLE_END));
    for (const key of configKeys) expect(table).toContain(`| \`${key.path}\` | \`${key.envName}\` |`);
  });

  it('starts with the two commands that work on a fresh clone', () => {
    const firstBlock = readme.slice(readme.indexOf('```'), readme.indexOf('```', readme.indexOf('```') + 3));
    expect(firstBlock).toContain('npm ci && npm start');
    expect(firstBlock).toContain('npm ci && npm test');
  });
});

describe('configTable', () => {
  it('has one row per key and escapes pipes', () => {
    const rows = configTable().split('\n').slice(2);
    expect(rows).toHaveLength(configKeys.length);
    expect(configTable()).toContain('| `log.level` | `WHARF_LOG_LEVEL` | fatal \\| error \\| warn');
  });

  it('replaces only what is between the markers', () => {
    const text = `before\n${TABLE_BEGIN}\nstale\n${TABLE_END}\nafter\n`;
    expect(withConfigTable(text)).toBe(`before\n${TABLE_BEGIN}\n${configTable()}\n${TABLE_END}\nafter\n`);
    expect(() => withConfigTable('no markers')).toThrow('README.md has no config-table markers');
  });
});
