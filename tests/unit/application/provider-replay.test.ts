import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { replayProvider } from '../../../src/application/queries/provider-replay.js';
import type { HangarEvent } from '../../../src/domain/hangar-event.js';
import type { ProviderEvent } from '../../../src/domain/provider/events.js';
import { instanceId, providerId } from '../../../src/domain/shared/ids.js';
import { providerStreamId } from '../../../src/domain/shared/streams.js';
import { hangarEventRegistry } from '../../../src/infrastructure/persistence/hangar-event-schemas.js';
import { InMemoryEventStore } from '../../../src/infrastructure/persistence/memory/in-memory-event-store.js';
import { defaultSettings } from '../../support/hangar-config.js';

const math = providerId('math');
const tool = (name: string) => ({ name, inputSchema: { type: 'object' } });
const call = { correlationId: 'c', durationMs: 1, argumentsDigest: 'd' };
const T = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;

/** A provider that starts, fails three starts in a row and degrades, then starts again and recovers. */
const story: readonly ProviderEvent[] = [
  {
    type: 'ProviderRegistered',
    data: { providerId: math, mode: 'subprocess', description: '', configDigest: 'cfg', settings: defaultSettings, predefinedTools: [] },
  },
  { type: 'ProviderStartRequested', data: { reason: 'invoke', attempt: 1 } },
  { type: 'ProviderStarted', data: { pid: 42, protocolVersion: null, serverInfo: null, startupMs: 5 } },
  { type: 'ToolsDiscovered', data: { tools: [tool('add'), tool('multiply')], digest: 'dig', count: 2 } },
  { type: 'ToolInvoked', data: { ...call, tool: 'add', outcome: 'success', resultSize: 1 } },
  { type: 'ToolInvoked', data: { ...call, tool: 'add', outcome: 'tool_error', resultSize: 1 } },
  { type: 'ProviderCrashed', data: { exitCode: 1, signal: null, stderrTail: '', inFlightCalls: 0 } },
  { type: 'ProviderStartRequested', data: { reason: 'invoke', attempt: 1 } },
  { type: 'ProviderStartFailed', data: { message: 'boom', exitCode: 1, signal: null, stderrTail: '', hint: 'h', consecutiveFailures: 1 } },
  { type: 'ProviderStartRequested', data: { reason: 'invoke', attempt: 2 } },
  { type: 'ProviderStartFailed', data: { message: 'boom', exitCode: 1, signal: null, stderrTail: '', hint: 'h', consecutiveFailures: 2 } },
  { type: 'ProviderDegraded', data: { reason: 'starts failed', consecutiveFailures: 2, retryAt: T(30) } },
  { type: 'ToolInvocationFailed', data: { ...call, tool: 'add', errorCode: 'PROVIDER_DEGRADED', message: 'degraded' } },
  { type: 'ProviderStartRequested', data: { reason: 'invoke', attempt: 1 } },
  { type: 'ProviderStarted', data: { pid: 43, protocolVersion: null, serverInfo: null, startupMs: 5 } },
  { type: 'ProviderRecovered', data: { after: 'restart', failures: 2 } },
];

/** The story appended one event a minute (positions 1.., minutes 1..) to math's stream of instance 1. */
const storeWith = async (events: readonly ProviderEvent[] = story) => {
  const store = new InMemoryEventStore<HangarEvent>({ registry: hangarEventRegistry() });
  for (const [i, event] of events.entries()) await store.append(providerStreamId(math, instanceId(1)), [event], i, { occurredAt: T(i + 1) });
  return store;
};

describe('replayProvider', () => {
  it('rebuilds the state at a position in the middle: degraded, with the retry time and the counters so far', async () => {
    const replay = replayProvider(await storeWith());
    const { instance, state } = await replay.at({ provider: math, point: { position: 12 } });
    assert.equal(instance, '1');
    assert.equal(state.status, 'degraded');
    assert.equal(state.retryAt, T(30));
    assert.equal(state.consecutiveFailures, 2);
    assert.equal(state.pid, null);
    assert.deepEqual(state.tools, { names: ['add', 'multiply'], digest: 'dig' });
    assert.deepEqual(state.counters, { invocations: 2, toolErrors: 1, failedInvocations: 0, starts: 1, crashes: 1 });
    assert.deepEqual(state.lastError, { code: 'PROVIDER_START_FAILED', message: 'boom' });
    assert.deepEqual(state.lastEvent, { position: 12, occurredAt: T(12), type: 'ProviderDegraded' });
  });

  it('rebuilds the state at a time; the end of the story is ready again', async () => {
    const replay = replayProvider(await storeWith());
    assert.equal((await replay.at({ provider: math, point: { at: T(5) } })).state.status, 'ready');
    const end = (await replay.at({ provider: math, point: { at: T(59) } })).state;
    assert.equal(end.status, 'ready');
    assert.equal(end.pid, 43);
    assert.equal(end.consecutiveFailures, 0);
    assert.equal(end.retryAt, null);
    assert.deepEqual(end.counters, { invocations: 3, toolErrors: 1, failedInvocations: 1, starts: 2, crashes: 1 });
    const before = (await replay.at({ provider: math, point: { at: '2025-01-01T00:00:00Z' } })).state;
    assert.equal(before.status, 'unregistered');
    assert.equal(before.lastEvent, null);
  });

  it('walks a window: each event with the fields it changed', async () => {
    const replay = replayProvider(await storeWith());
    const window = await replay.window({ provider: math, from: { position: 11 }, to: { position: 15 } });
    assert.equal(window.before.status, 'initializing');
    assert.deepEqual(
      window.steps.map((s) => s.event.type),
      ['ProviderStartFailed', 'ProviderDegraded', 'ToolInvocationFailed', 'ProviderStartRequested', 'ProviderStarted'],
    );
    const changes = window.steps.map((s) => Object.fromEntries(s.changes.map((c) => [c.field, [c.before, c.after]])));
    assert.deepEqual(changes[0]?.['status'], ['initializing', 'cold']);
    assert.deepEqual(changes[0]?.['consecutiveFailures'], [1, 2]);
    assert.deepEqual(changes[1], { status: ['cold', 'degraded'], retryAt: [null, T(30)] });
    assert.deepEqual(changes[2], { invocations: [2, 3], failedInvocations: [0, 1] });
    assert.deepEqual(changes[3], { status: ['degraded', 'initializing'], retryAt: [T(30), null] });
    assert.deepEqual(changes[4], { status: ['initializing', 'ready'], pid: [null, 43], consecutiveFailures: [2, 0], starts: [1, 2] });
    assert.equal(window.state.status, 'ready');
  });

  it('replays one instance stream: the latest with events by then, or the one asked for', async () => {
    const store = await storeWith(story.slice(0, 4));
    await store.append(providerStreamId(math, instanceId(2)), [story[0] as ProviderEvent], 0, { occurredAt: T(10) });
    const replay = replayProvider(store);
    const latest = await replay.at({ provider: math, point: { at: T(20) } });
    assert.deepEqual([latest.instance, latest.state.status, latest.state.tools.names], ['2', 'cold', null]);
    const earlier = await replay.at({ provider: math, point: { at: T(5) } });
    assert.deepEqual([earlier.instance, earlier.state.status], ['1', 'ready']);
    const asked = await replay.at({ provider: math, instance: instanceId(1), point: { at: T(20) } });
    assert.deepEqual([asked.instance, asked.state.status, asked.state.tools.names], ['1', 'ready', ['add', 'multiply']]);
  });

  it('replays a ToolsDiscovered of schema version 1 through the upcaster, as the store decodes it', async () => {
    const store = await storeWith(story.slice(0, 4));
    const fixture = JSON.parse(readFileSync(new URL('../../../../tests/fixtures/events/tools-discovered.json', import.meta.url), 'utf8')) as { v1: unknown };
    // Rewrite the stored row in place as the older schema wrote it (the read decodes rows, it does not check hashes).
    const rows = (store as unknown as { log: { rows: { type: string; schemaVersion: number; data: string }[] } }).log.rows;
    Object.assign(rows.find((r) => r.type === 'ToolsDiscovered') as object, { schemaVersion: 1, data: JSON.stringify(fixture.v1) });
    const { state } = await replayProvider(store).at({ provider: math, point: { position: 4 } });
    assert.deepEqual(state.tools, { names: ['add', 'divide'], digest: '0f1e2d3c4b5a69788796a5b4c3d2e1f0' });
  });
});
