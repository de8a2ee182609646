import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateConfig } from '../../../src/infrastructure/config/locate.js';

const withLocal = mkdtempSync(join(tmpdir(), 'hangar-locate-'));
const withoutLocal = mkdtempSync(join(tmpdir(), 'hangar-locate-'));
writeFileSync(join(withLocal, 'config.yaml'), 'providers: {}\n');
after(() => {
  rmSync(withLocal, { recursive: true, force: true });
  rmSync(withoutLocal, { recursive: true, force: true });
});
const bundledPath = '/opt/hangar/config/hangar.yaml';

describe('locateConfig', () => {
  it('prefers --config over MCP_CONFIG, resolving it against the cwd', () => {
    assert.equal(locateConfig({ cliPath: 'my.yaml', env: { MCP_CONFIG: '/etc/hangar.yaml' }, cwd: withLocal, bundledPath }), join(withLocal, 'my.yaml'));
  });

  it('uses MCP_CONFIG when no --config is given', () => {
    assert.equal(locateConfig({ env: { MCP_CONFIG: '/etc/hangar.yaml' }, cwd: withLocal, bundledPath }), '/etc/hangar.yaml');
    assert.equal(locateConfig({ env: { MCP_CONFIG: 'rel/h.yaml' }, cwd: withoutLocal, bundledPath }), join(withoutLocal, 'rel/h.yaml'));
  });

  it('then config.yaml in the cwd when it exists', () => {
    assert.equal(locateConfig({ env: {}, cwd: withLocal, bundledPath }), join(withLocal, 'config.yaml'));
    assert.equal(locateConfig({ cliPath: '', env: { MCP_CONFIG: '' }, cwd: withLocal, bundledPath }), join(withLocal, 'config.yaml'));
  });

  it('else the bundled config', () => {
    assert.equal(locateConfig({ env: {}, cwd: withoutLocal, bundledPath }), bundledPath);
  });
});
