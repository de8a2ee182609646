import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createHangar } from '../../src/composition-root.js';
import { providerId } from '../../src/domain/shared/ids.js';
import { hangarConfig, subprocess } from '../support/hangar-config.js';
import { MATH_SERVER, alive, tempDir } from '../support/hangar-harness.js';
import { ManualClock, manualScheduler } from '../support/manual-clock.js';
import { silentLogger } from '../support/silent-logger.js';

describe('idle stop (injected clock)', () => {
  const dir = tempDir();
  after(() => dir.remove());

  it('stops a provider idle for idle_ttl_s, not before, never while a call is in flight, and restarts it on the next call', async () => {
    const clock = new ManualClock();
    const config = hangarConfig(join(dir.path, 'h.db'), {
      math: subprocess(['node', MATH_SERVER], { idleTtlS: 180 }),
      forever: subprocess(['node', MATH_SERVER], { idleTtlS: 0 }),
    });
    const hangar = await createHangar(config, { clock, scheduler: manualScheduler(clock), logger: silentLogger });
    try {
      const call = (provider: string) => hangar.app.invoke({ provider, tool: 'add', arguments: { a: 1, b: 1 }, correlationId: `c-${provider}` });
      await call('math');
      await call('forever');
      const pid = hangar.app.details('math').process?.pid as number;
      assert.ok(alive(pid));

      clock.advance(179_000);
      assert.deepEqual(await hangar.sweepIdle(), []);
      clock.advance(1_000);
      assert.deepEqual(await hangar.sweepIdle(), ['math'], 'idle_ttl_s 0 means never stop for idleness');
      assert.equal(hangar.app.details('math').state, 'cold');
      assert.equal(hangar.app.details('forever').state, 'ready');
      assert.equal(alive(pid), false, 'the process is gone');
      assert.deepEqual(hangar.app.details('math').tools, ['add', 'subtract', 'multiply', 'divide']);

      const result = await call('math');
      assert.deepEqual(result.structuredContent, { result: 2 });
      const stops = await hangar.app.history({ provider: providerId('math'), types: ['ProviderStopped'] });
      assert.deepEqual(
        stops.map((e) => (e.data as { reason: string }).reason),
        ['idle'],
      );
    } finally {
      await hangar.shutdown();
    }
  });
});
