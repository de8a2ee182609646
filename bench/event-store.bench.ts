import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hangarEventRegistry } from '../src/infrastructure/persistence/hangar-event-schemas.js';
import { openSqliteEventStore } from '../src/infrastructure/persistence/sqlite/sqlite-event-store.js';

/** Figures from {@link benchEventStore}; times in milliseconds. */
export interface EventStoreBenchFigures {
  readonly appends: number;
  readonly appendsPerSecond: number;
  readonly appendP50Ms: number;
  readonly appendP99Ms: number;
  /** Appends issued 16 at a time in one turn (awaited together), as 16 calls in flight record them. */
  readonly batchedAppends: number;
  readonly batchedAppendsPerSecond: number;
  readonly readStreamEvents: number;
  readonly readStreamMs: number;
  readonly verifyChainEvents: number;
  readonly verifyChainMs: number;
}

const STREAMS = ['provider-math', 'provider-files', 'provider-search', 'provider-git'];
const WARMUP = 1000;
/** Appends issued in one turn by the batched figure (16 calls in flight). */
const PER_TURN = 16;

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/**
 * Durable single-event `ToolInvoked` appends (correct expected versions) to a fresh SQLite store in a temp
 * dir, after a short unmeasured warm-up: first one at a time (each awaited before the next), then
 * {@link PER_TURN} at a time, issued in one turn and awaited together (the store may commit them in one
 * transaction). Half go to `provider-math`, whose stream is then read back whole (first read, cold), and
 * the whole chain is verified. Prints nothing.
 */
export async function benchEventStore(appends = 20_000): Promise<EventStoreBenchFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-bench-store-'));
  const store = openSqliteEventStore(join(dir, 'events.db'), { registry: hangarEventRegistry() });
  try {
    const versions = new Map<string, number>();
    const append = (streamId: string, i: number) => {
      const version = versions.get(streamId) ?? 0;
      versions.set(streamId, version + 1);
      const correlationId = `c-${i.toString(36).padStart(8, '0')}-4f1e-9a2b`;
      const data = {
        tool: 'add',
        correlationId,
        durationMs: 1.5 + (i % 7),
        outcome: i % 50 === 0 ? ('tool_error' as const) : ('success' as const),
        argumentsDigest: `sha256:${(i * 2654435761).toString(16).padStart(64, '0').slice(-64)}`,
        resultSize: 42 + (i % 100),
      };
      return store.append(streamId, [{ type: 'ToolInvoked', data }], version, { occurredAt: new Date(1_760_000_000_000 + i).toISOString(), correlationId });
    };
    // Warm-up (not measured): JIT, the checkpoint worker's start, the first pages of the file.
    for (let i = 0; i < WARMUP; i++) await append('provider-warmup', i);
    const latencies: number[] = [];
    const start = performance.now();
    for (let i = 0; i < appends; i++) {
      const t = performance.now();
      await append(i % 2 === 0 ? 'provider-math' : (STREAMS[1 + (i % 3)] as string), i);
      latencies.push(performance.now() - t);
    }
    const appendSeconds = (performance.now() - start) / 1000;
    latencies.sort((a, b) => a - b);

    const turn = (first: number) => {
      const turnAppends: Promise<unknown>[] = [];
      for (let i = first; i < first + PER_TURN; i++) turnAppends.push(append(i % 2 === 0 ? 'provider-math' : (STREAMS[1 + (i % 3)] as string), i));
      return Promise.all(turnAppends);
    };
    for (let i = 0; i < WARMUP; i += PER_TURN) await turn(appends + i);
    const batchedAppends = Math.ceil(appends / PER_TURN) * PER_TURN;
    const batchedStart = performance.now();
    for (let i = 0; i < batchedAppends; i += PER_TURN) await turn(appends + WARMUP + i);
    const batchedSeconds = (performance.now() - batchedStart) / 1000;

    let t = performance.now();
    const read = await store.readStream('provider-math');
    const readStreamMs = performance.now() - t;

    t = performance.now();
    const verified = await store.verifyChain();
    const verifyChainMs = performance.now() - t;
    if (!verified.ok) throw new Error(`bench chain broken at ${verified.position}: ${verified.reason}`);

    return {
      appends,
      appendsPerSecond: appends / appendSeconds,
      appendP50Ms: percentile(latencies, 50),
      appendP99Ms: percentile(latencies, 99),
      batchedAppends,
      batchedAppendsPerSecond: batchedAppends / batchedSeconds,
      readStreamEvents: read.length,
      readStreamMs,
      verifyChainEvents: verified.count,
      verifyChainMs,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
