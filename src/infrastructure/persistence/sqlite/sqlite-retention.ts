import { existsSync } from 'node:fs';
import type { ChainAnchors } from '../../../application/ports/chain-anchors.js';
import type { ExportBefore } from '../../../application/ports/event-archive.js';
import type { DomainEvent } from '../../../domain/shared/event.js';
import type { ExportCheck, ExportRecord, HistoryRetention, PruneOrder } from '../../../application/ports/history-retention.js';
import { exportsLogPath, readExportsLog, sha256OfFile } from '../event-export.js';
import type { SqliteEventStore } from './sqlite-event-store.js';

/**
 * Retention over the SQLite store at `storePath`: the exports logged next to it (`<store>.exports.jsonl`,
 * written by `audit export`), the anchors beside it, and the store's own prune.
 */
export class SqliteHistoryRetention<E extends DomainEvent> implements HistoryRetention {
  constructor(
    private readonly store: SqliteEventStore<E>,
    private readonly storePath: string,
    private readonly anchors: ChainAnchors,
  ) {}

  lastPositionBefore(before: ExportBefore): Promise<number> {
    return this.store.lastPositionBefore(before);
  }

  async coveringExport(through: number): Promise<ExportCheck> {
    const start = ((await this.store.prunedThrough())?.position ?? 0) + 1;
    const hint = `export them first: mcp-hangar audit export --before <the same point> --out FILE.jsonl (it is logged in ${exportsLogPath(this.storePath)})`;
    const logged = readExportsLog(this.storePath);
    const problems: string[] = [];
    for (const entry of logged.reverse()) {
      if (entry.from > start || entry.to < through) continue;
      if (!existsSync(entry.path)) {
        problems.push(`the export ${entry.path} (positions ${entry.from}..${entry.to}) is no longer there`);
        continue;
      }
      if ((await sha256OfFile(entry.path)) !== entry.sha256) {
        problems.push(`the export ${entry.path} changed since it was written (its SHA-256 differs from the log's)`);
        continue;
      }
      if ((await this.store.hashAt(entry.to)) !== entry.last_hash) {
        problems.push(`the export ${entry.path} does not end on this store's event ${entry.to} (another store's, or the store changed)`);
        continue;
      }
      const record: ExportRecord = { path: entry.path, fromPosition: entry.from, throughPosition: entry.to, lastHash: entry.last_hash, sha256: entry.sha256 };
      return { ok: true, export: record };
    }
    const what = `no export holds every event from position ${start} through ${through}`;
    return { ok: false, problem: problems.length === 0 ? what : `${what}: ${problems.join('; ')}`, hint };
  }

  async anchoredPositions(): Promise<ReadonlySet<number>> {
    const list = await this.anchors.read();
    return new Set(list.records.map((r) => r.head.position));
  }

  prune(order: PruneOrder): Promise<number> {
    return this.store.prune(order);
  }
}
