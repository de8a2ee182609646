import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ExposeConfig, ProviderExposure } from '../../../src/application/config.js';
import { providerId } from '../../../src/domain/shared/ids.js';
import { computeExposure, shorten } from '../../../src/interfaces/mcp/exposure.js';

const hex6 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 6);
const tool = (name: string) => ({ name, description: `the ${name} tool`, inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } });
const exposure = (
  catalog: Record<string, string[]>,
  config: ExposeConfig = { mode: 'both', separator: '__' },
  providers: Record<string, ProviderExposure> = {},
) =>
  computeExposure({
    config,
    providers: new Map(Object.entries(providers)),
    catalog: Object.entries(catalog).map(([id, names]) => ({ provider: providerId(id), tools: names.map(tool) })),
    reserved: ['registry_list', 'registry_invoke'],
    registryTools: [],
  });

describe('computeExposure', () => {
  it('lists providers by id and tools by name, definitions unchanged but for the name', () => {
    const e = exposure({ zeta: ['b', 'a'], alpha: ['x'] });
    assert.deepEqual(
      e.tools.map((t) => t.name),
      ['alpha__x', 'zeta__a', 'zeta__b'],
    );
    assert.deepEqual(e.tools[1], { ...tool('a'), name: 'zeta__a' });
    assert.deepEqual(e.byName.get('zeta__b'), { provider: 'zeta', tool: 'b' });
    assert.equal(e.registryListed, true);
  });

  it('is deterministic, and its digest changes only with the listing', () => {
    assert.equal(exposure({ a: ['x', 'y'] }).digest, exposure({ a: ['y', 'x'] }).digest);
    assert.notEqual(exposure({ a: ['x'] }).digest, exposure({ a: ['x', 'y'] }).digest);
  });

  it('modes: registry lists no provider, direct hides the registry tools, a provider overrides the top level', () => {
    assert.equal(exposure({ a: ['x'] }, { mode: 'registry', separator: '__' }).tools.length, 0);
    assert.equal(exposure({ a: ['x'] }, { mode: 'search', separator: '__' }).tools.length, 0);
    const direct = exposure({ a: ['x'], b: ['y'] }, { mode: 'direct', separator: '__' }, { b: { mode: 'registry' } });
    assert.equal(direct.registryListed, false);
    assert.deepEqual(
      direct.tools.map((t) => t.name),
      ['a__x'],
    );
    const opted = exposure({ a: ['x'], b: ['y'] }, { mode: 'registry', separator: '__' }, { b: { mode: 'direct' } });
    assert.deepEqual(
      opted.tools.map((t) => t.name),
      ['b__y'],
    );
  });

  it('allow and deny with * patterns; prefix, empty prefix and separator', () => {
    const e = exposure(
      { a: ['get_one', 'get_secret', 'put'], b: ['z'] },
      { mode: 'both', separator: '-' },
      {
        a: { prefix: 'x', allow: ['get_*'], deny: ['*secret'] },
        b: { prefix: '' },
      },
    );
    assert.deepEqual(
      e.tools.map((t) => t.name),
      ['x-get_one', 'z'],
    );
  });

  it('names: characters clients refuse become _, long names are shortened with a hash of the full name', () => {
    assert.deepEqual(
      exposure({ a: ['v1.list'] }).tools.map((t) => t.name),
      ['a__v1_list'],
    );
    const long = `a__${'n'.repeat(70)}`;
    const [listed] = exposure({ a: ['n'.repeat(70)] }).tools;
    assert.equal(listed?.name, `${long.slice(0, 57)}_${hex6(long)}`);
    assert.equal(listed?.name.length, 64);
    assert.equal(shorten('short'), 'short');
  });

  it('collisions: a registry name or an earlier tool keeps its name; the later one gets a hash of provider/tool', () => {
    const e = exposure({ registry: ['list'], a: ['b_c', 'b.c'] }, { mode: 'both', separator: '_' });
    // Tools in name order by code point: `b.c` before `b_c`, so `b.c` keeps the plain name.
    assert.deepEqual(
      e.tools.map((t) => t.name),
      ['a_b_c', `a_b_c_${hex6('a/b_c')}`, `registry_list_${hex6('registry/list')}`],
    );
    assert.deepEqual(e.byName.get('a_b_c'), { provider: 'a', tool: 'b.c' });
    assert.equal(e.collisions.length, 2);
    assert.match(e.collisions.join('\n'), /taken by a registry tool/);
  });
});
