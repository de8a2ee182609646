import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledStorePath, isBundledConfig, userDataFolder } from '../../../src/infrastructure/config/data-folder.js';
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

describe('userDataFolder: where the bundled config keeps its store', () => {
  it('is $XDG_DATA_HOME/mcp-hangar when XDG_DATA_HOME is an absolute path, on every platform', () => {
    assert.equal(userDataFolder({ XDG_DATA_HOME: '/x/data', HOME: '/home/me' }, 'linux'), '/x/data/mcp-hangar');
    assert.equal(userDataFolder({ XDG_DATA_HOME: '/x/data', LOCALAPPDATA: 'C:\\L' }, 'win32'), '/x/data/mcp-hangar');
  });

  it('else ~/.local/share/mcp-hangar (a relative XDG_DATA_HOME is ignored, as the XDG spec says)', () => {
    assert.equal(userDataFolder({ HOME: '/home/me' }, 'linux'), '/home/me/.local/share/mcp-hangar');
    assert.equal(userDataFolder({ HOME: '/Users/me', XDG_DATA_HOME: 'rel' }, 'darwin'), '/Users/me/.local/share/mcp-hangar');
    assert.equal(bundledStorePath({ HOME: '/home/me' }, 'linux'), '/home/me/.local/share/mcp-hangar/hangar.db');
  });

  it('is %LOCALAPPDATA%\\mcp-hangar on Windows', () => {
    assert.equal(userDataFolder({ LOCALAPPDATA: 'C:\\Users\\me\\AppData\\Local' }, 'win32'), 'C:\\Users\\me\\AppData\\Local\\mcp-hangar');
    assert.equal(userDataFolder({ USERPROFILE: 'C:\\Users\\me' }, 'win32'), 'C:\\Users\\me\\AppData\\Local\\mcp-hangar');
    assert.equal(bundledStorePath({ LOCALAPPDATA: 'C:\\L' }, 'win32'), 'C:\\L\\mcp-hangar\\hangar.db');
  });

  it('tells the bundled config by its real path, through a symbolic link', () => {
    const bundled = join(withLocal, 'config.yaml');
    const link = join(withoutLocal, 'linked.yaml');
    symlinkSync(bundled, link);
    assert.equal(isBundledConfig(link, bundled), true);
    assert.equal(isBundledConfig(join(withLocal, '.', 'config.yaml'), bundled), true);
    assert.equal(isBundledConfig(join(withoutLocal, 'other.yaml'), bundled), false);
  });
});
