import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { HangarConfig } from '../../../src/application/config.js';
import { launchWarnings, onPath } from '../../../src/infrastructure/config/launch-checks.js';
import { loadConfig } from '../../../src/infrastructure/config/load-config.js';

describe('launchWarnings (what validate warns about)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-launch-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'tool'), '#!/bin/sh\n');
  chmodSync(join(bin, 'tool'), 0o755);
  writeFileSync(join(bin, 'plain'), 'not executable');
  chmodSync(join(bin, 'plain'), 0o644);

  const config = (yaml: string): HangarConfig => {
    writeFileSync(join(dir, 'hangar.yaml'), yaml);
    const result = loadConfig(join(dir, 'hangar.yaml'), {});
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    return result.config;
  };

  it('looks a bare command up on the PATH the provider gets: its own env.PATH, else the hangar’s', () => {
    assert.equal(onPath('tool', `/nonexistent:${bin}`), true);
    assert.equal(onPath('plain', bin), false, 'a file that is not executable is not a command');
    const c = config(`providers:\n  own:\n    command: [tool]\n    env:\n      PATH: ${bin}\n  inherited:\n    command: [tool]\n`);
    assert.deepEqual(
      launchWarnings(c, { PATH: '/nonexistent' }).map((w) => w.path),
      ['providers.inherited.command'],
    );
    assert.deepEqual(launchWarnings(c, { PATH: bin }), []);
  });

  it('resolves a command with a slash, and the script of `node SCRIPT`, against the provider’s cwd', () => {
    const c = config(
      [
        'providers:',
        '  rel:',
        '    command: [./tool]',
        '    cwd: bin',
        '  plain:',
        '    command: [./bin/plain]',
        '  script:',
        '    command: [node, --enable-source-maps]',
        '  missing:',
        '    command: [node, bin/server.js]',
        '',
      ].join('\n'),
    );
    const warnings = launchWarnings(c, { PATH: '' });
    assert.deepEqual(
      warnings.map((w) => w.path),
      ['providers.plain.command', 'providers.missing.command'],
    );
    assert.match(warnings[0]?.message ?? '', /is not executable/);
    assert.match(warnings[1]?.message ?? '', /the script .*bin\/server\.js does not exist/);
  });
});
