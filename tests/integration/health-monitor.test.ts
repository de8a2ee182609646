import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createHangar, type Hangar } from '../../src/composition-root.js';
import { providerId } from '../../src/domain/shared/ids.js';
import { ProcessProviderRuntime } from '../../src/infrastructure/runtime/process/process-provider-runtime.js';
import { hangarConfig, subprocess } from '../support/hangar-config.js';
import { MATH_SERVER, alive, tempDir } from '../support/hangar-harness.js';
import { ManualClock, manualScheduler } from '../support/manual-clock.js';
import { silentLogger } from '../support/silent-logger.js';

/** Health checks with an injected clock: a real provider frozen with SIGSTOP stops answering ping. */
describe('health checks (injected clock, real provider)', () => {
  const dir = tempDir();
  after(() => dir.remove());

  const boot = async (clock: ManualClock): Promise<Hangar> =>
    createHangar(
      hangarConfig(join(dir.path, `${Math.random()}.db`), {
        math: subprocess(['node', MATH_SERVER], { healthCheckIntervalS: 30, maxConsecutiveFailures: 2, idleTtlS: 0 }),
      }),
      { clock, scheduler: manualScheduler(clock), logger: silentLogger, healthPingTimeoutMs: 150, runtime: new ProcessProviderRuntime({ stopGraceMs: 200 }) },
    );
  const types = async (hangar: Hangar) => (await hangar.app.history({ provider: providerId('math') })).map((e) => e.type);
  const call = (hangar: Hangar) => hangar.app.invoke({ provider: 'math', tool: 'add', arguments: { a: 1, b: 2 }, correlationId: 'c' });

  it('pings at the provider interval only, records failures, and a pass after failures as a recovery', async () => {
    const clock = new ManualClock();
    const hangar = await boot(clock);
    try {
      await call(hangar);
      const pid = hangar.app.details('math').process?.pid as number;
      clock.advance(29_000);
      await hangar.sweepHealth();
      assert.equal(hangar.app.health().healthChecks.checks, 0, 'not due before health_check_interval_s');
      clock.advance(1_000);
      await hangar.sweepHealth();
      assert.deepEqual(hangar.app.health().healthChecks, { checks: 1, failures: 0 });
      assert.ok(!(await types(hangar)).includes('HealthCheckFailed'), 'a routine pass is a metric, not an event');

      process.kill(pid, 'SIGSTOP');
      clock.advance(30_000);
      await hangar.sweepHealth();
      process.kill(pid, 'SIGCONT');
      clock.advance(30_000);
      await hangar.sweepHealth();
      const events = await types(hangar);
      assert.deepEqual(events.slice(-2), ['HealthCheckFailed', 'ProviderRecovered']);
      assert.equal(hangar.app.details('math').state, 'ready');
    } finally {
      await hangar.shutdown();
    }
  });

  it('degrades a provider after max_consecutive_failures failed checks, stops its process, and restarts it after the backoff', async () => {
    const clock = new ManualClock();
    const hangar = await boot(clock);
    try {
      await call(hangar);
      const pid = hangar.app.details('math').process?.pid as number;
      process.kill(pid, 'SIGSTOP');
      for (let i = 0; i < 2; i++) {
        clock.advance(30_000);
        await hangar.sweepHealth();
      }
      assert.equal(hangar.app.details('math').state, 'degraded');
      assert.equal(hangar.app.details('math').process, null);
      assert.equal(alive(pid), false, 'the frozen process was killed before any restart');
      assert.deepEqual((await types(hangar)).slice(-3), ['HealthCheckFailed', 'HealthCheckFailed', 'ProviderDegraded']);
      await assert.rejects(call(hangar), (e: { code?: string }) => e.code === 'PROVIDER_DEGRADED');
      assert.equal(hangar.app.health().status, 'unhealthy');

      clock.advance(60_000);
      assert.deepEqual((await call(hangar)).structuredContent, { result: 3 });
      const events = await types(hangar);
      assert.ok(events.includes('ProviderRecovered'));
      assert.equal(hangar.app.health().status, 'healthy');
    } finally {
      await hangar.shutdown();
    }
  });
});
