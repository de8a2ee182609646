import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { hangarEventRegistry } from '../../../src/infrastructure/persistence/hangar-event-schemas.js';

/** The frozen shapes of ToolsDiscovered at schema versions 1 and 2. */
const toolsDiscovered = JSON.parse(readFileSync(new URL('../../../../tests/fixtures/events/tools-discovered.json', import.meta.url), 'utf8')) as {
  v1: unknown;
  v2: unknown;
};

describe('the hangar event registry', () => {
  it('stamps new ToolsDiscovered events with version 2', () => {
    assert.equal(hangarEventRegistry().currentVersion('ToolsDiscovered'), 2);
  });

  it('reads a stored version-1 ToolsDiscovered (frozen fixture) as version 2, its count being its list’s length', () => {
    const { schemaVersion, event } = hangarEventRegistry().decode('ToolsDiscovered', 1, toolsDiscovered.v1);
    assert.equal(schemaVersion, 2);
    assert.deepEqual(event, { type: 'ToolsDiscovered', data: toolsDiscovered.v2 });
  });

  it('keeps every field a provider gave its tools', () => {
    const { event } = hangarEventRegistry().decode('ToolsDiscovered', 2, toolsDiscovered.v2);
    assert.deepEqual(event.data, toolsDiscovered.v2);
  });

  it('refuses a version-2 ToolsDiscovered without its count, saying why', () => {
    assert.throws(
      () => hangarEventRegistry().decode('ToolsDiscovered', 2, toolsDiscovered.v1),
      /ToolsDiscovered data does not match its schema \(version 2\)[\s\S]*count/,
    );
  });
});
