import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import {
  HANGAR_MAIN,
  INITIALIZE_LINE,
  MATH_SERVER,
  UNLIMITED,
  connectHangar,
  connectRawProcess,
  eventually,
  runHangar,
  tempDirs,
  writeConfig,
} from '../support/hangar-harness.js';

/** Runs the built hangar with `args` (stdin: `input`, then closed) until it exits. */
const run = (args: readonly string[], env: Record<string, string> = {}, input = '') => runHangar(args, { env, input });

const initialize = INITIALIZE_LINE;
const initialized = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
const listCall = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'registry_list', arguments: {} } });
const add = (a: number, b: number) => ({ provider: 'math', tool: 'add', arguments: { a, b } });

/** Runs SQL on a store file (the hangar is not running). */
const sql = <T>(path: string, use: (db: Database.Database) => T): T => {
  const db = new Database(path);
  try {
    return use(db);
  } finally {
    db.close();
  }
};

const anchorLines = (store: string): string[] => readFileSync(`${store}.anchors`, 'utf8').trimEnd().split('\n');

describe('the anchored hash chain, end to end', { timeout: 180_000 }, () => {
  const dirs = tempDirs('hangar-chain-');
  let dir: string;
  let config: string;
  /** A store left by a clean run and then a SIGKILLed one: rows after the last anchor. */
  let base: string;
  /** The last anchor of `base` (written at the clean shutdown), and its head. */
  let anchored: number;
  let head: number;

  before(async () => {
    dir = dirs.make();
    config = writeConfig(dir, `providers:\n  math:\n    command: [node, ${JSON.stringify(MATH_SERVER)}]\n`);
    base = join(dir, 'base.db');
    const first = await connectHangar(config, { ...UNLIMITED, MCP_DATABASE_PATH: base });
    for (let i = 0; i < 5; i++) await first.call('registry_invoke', add(i, 1));
    await first.close();
    const afterClean = anchorLines(base);
    anchored = Number((afterClean.at(-1) as string).split(':')[0]);
    assert.equal(
      anchored,
      sql(base, (db) => db.prepare('SELECT max(position) FROM events').pluck().get() as number),
      'a clean shutdown anchors the head',
    );

    const second = await connectHangar(config, { ...UNLIMITED, MCP_DATABASE_PATH: base });
    for (let i = 0; i < 5; i++) await second.call('registry_invoke', add(i, 2));
    process.kill(second.pid as number, 'SIGKILL');
    await eventually(async () => {
      try {
        process.kill(second.pid as number, 0);
        return false;
      } catch {
        return true;
      }
    });
    await second.close().catch(() => undefined);
    sql(base, (db) => db.pragma('wal_checkpoint(TRUNCATE)'));
    head = sql(base, (db) => db.prepare('SELECT max(position) FROM events').pluck().get() as number);
    assert.deepEqual(anchorLines(base), afterClean, 'the killed run wrote no anchor (1000 events not reached, no shutdown)');
    assert.ok(head > anchored + 5, `rows after the last anchor: ${anchored} < ${head}`);
  });
  after(() => dirs.removeAll());

  /** A copy of the base store and its anchor file, at `name`. */
  const variant = (name: string, change?: (db: Database.Database) => void): string => {
    const path = join(dir, name);
    copyFileSync(base, path);
    copyFileSync(`${base}.anchors`, `${path}.anchors`);
    if (change) sql(path, change);
    return path;
  };
  const verify = (store: string, ...args: string[]) => run(['audit', 'verify', '-c', config, ...args], { MCP_DATABASE_PATH: store });
  const serve = (store: string, ...args: string[]) =>
    run(['serve', '-c', config, ...args], { MCP_DATABASE_PATH: store }, `${initialize}\n${initialized}\n${listCall}\n`);
  const refusedToServe = async (store: string, position: number, reason: RegExp) => {
    const result = await serve(store);
    assert.equal(result.code, 1, result.stderr);
    assert.doesNotMatch(result.stdout, /"id":2/, 'no call was answered');
    assert.ok(result.stderr.includes(`mcp-hangar: refusing to serve: the hash chain of the event store ${store} is broken`), result.stderr);
    assert.match(result.stderr, new RegExp(`at position ${position}: `));
    assert.match(result.stderr, reason);
    assert.match(result.stderr, /mcp-hangar serve --accept-broken-chain -c /);
    assert.match(result.stderr, /mcp-hangar audit verify -c /);
    const written = sql(store, (db) => db.prepare('SELECT max(position) FROM events').pluck().get() as number);
    return { result, written };
  };

  /** The first ToolInvoked row after the last anchor (a call the killed run recorded). */
  const callAfterAnchor = () =>
    sql(base, (db) => db.prepare("SELECT min(position) FROM events WHERE type = 'ToolInvoked' AND position > ?").pluck().get(anchored) as number);
  const alterOutcome = (position: number) => (db: Database.Database) => {
    const changed = db
      .prepare(`UPDATE events SET data = replace(data, '"outcome":"success"', '"outcome":"tool_error"') WHERE position = ? AND data LIKE '%"success"%'`)
      .run(position).changes;
    assert.equal(changed, 1);
  };

  it('an intact store passes audit verify with its anchors, and serves', async () => {
    const ok = await verify(base);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`hash chain intact over ${head} events`));
    assert.match(ok.stdout, new RegExp(`anchors: \\d+ held in ${base}\\.anchors, the newest ${anchored}:`));
    const hangar = await connectRawProcess([HANGAR_MAIN, 'serve', '--config', config], { ...UNLIMITED, MCP_DATABASE_PATH: variant('intact.db') });
    assert.ok((await hangar.request(2, listCall)).result);
    assert.equal(await hangar.close(), 0);
  });

  it('tampering: a row altered after the last anchor is found by audit verify and by serve at boot, which refuses', async () => {
    const target = callAfterAnchor();
    const store = variant('tampered.db', alterOutcome(target));
    const found = await verify(store);
    assert.equal(found.code, 1);
    assert.match(found.stderr, new RegExp(`hash chain BROKEN at position ${target}: hash does not match`));
    const { written } = await refusedToServe(store, target, /hash does not match/);
    assert.equal(written, head, 'nothing was written');
  });

  it('deletion: a middle row deleted after the last anchor is found by both', async () => {
    const target = anchored + 3;
    const store = variant('deleted.db', (db) => db.prepare('DELETE FROM events WHERE position = ?').run(target));
    const found = await verify(store);
    assert.equal(found.code, 1);
    assert.match(found.stderr, new RegExp(`hash chain BROKEN at position ${target}: row ${target} is missing \\(deleted\\)`));
    await refusedToServe(store, target, /is missing \(deleted\)/);
  });

  it('truncation: the newest rows deleted leave a chain that links, seen only by the anchor', async () => {
    const store = variant('truncated.db', (db) => db.prepare('DELETE FROM events WHERE position >= ?').run(anchored - 2));
    const found = await verify(store);
    assert.equal(found.code, 1);
    assert.match(found.stdout, new RegExp(`hash chain intact over ${anchored - 3} events`), 'what remains links');
    assert.match(
      found.stderr,
      new RegExp(
        `the anchored head ${anchored}:[0-9a-f]{12}… \\(anchored [^)]+\\) is no longer in the store: row ${anchored} is missing: the store ends at position ${anchored - 3}`,
      ),
    );
    await refusedToServe(store, anchored, /the store ends at position/);
    rmSync(`${store}.anchors`);
    const unanchored = await verify(store);
    assert.equal(unanchored.code, 0, 'without the anchor file the cut cannot be seen');
    assert.match(unanchored.stdout, /anchors: none yet/);
  });

  it('audit anchor prints the head; audit verify --anchor fails once the store no longer holds it', async () => {
    const store = variant('given-anchor.db');
    const printed = await run(['audit', 'anchor', '-c', config], { MCP_DATABASE_PATH: store });
    assert.equal(printed.code, 0, printed.stderr);
    const anchor = printed.stdout.trim();
    assert.match(anchor, new RegExp(`^${head}:[0-9a-f]{64}$`));
    assert.equal((await verify(store, '--anchor', anchor)).code, 0);
    sql(store, (db) => db.prepare('DELETE FROM events WHERE position = ?').run(head));
    rmSync(`${store}.anchors`);
    const cut = await verify(store, '--anchor', anchor);
    assert.equal(cut.code, 1);
    assert.match(cut.stderr, new RegExp(`does not hold the anchor ${head}:[0-9a-f]{12}…: row ${head} is missing: the store ends at position ${head - 1}`));
    const usage = await verify(store, '--anchor', 'not-an-anchor');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /is not position:hash/);
  });

  it('serve --accept-broken-chain serves, records ChainBreakAccepted, and the next boot and audit verify pass over that break only', async () => {
    const target = callAfterAnchor();
    const store = variant('accepted.db', alterOutcome(target));
    const accepting = await connectRawProcess([HANGAR_MAIN, 'serve', '--config', config, '--accept-broken-chain'], { ...UNLIMITED, MCP_DATABASE_PATH: store });
    const answer = await accepting.request(2, listCall);
    assert.ok(answer.result, 'it serves');
    await accepting.close();
    const recorded = sql(
      store,
      (db) => db.prepare("SELECT stream_id AS stream, data FROM events WHERE type = 'ChainBreakAccepted'").all() as { stream: string; data: string }[],
    );
    assert.equal(recorded.length, 1);
    assert.match(recorded[0]?.stream ?? '', /^instance-\d+$/);
    assert.deepEqual(JSON.parse(recorded[0]?.data ?? '{}'), {
      position: target,
      reason: 'hash does not match the row content and the previous hash (row or hash altered)',
    });
    assert.match(
      anchorLines(store).find((l) => l.includes('accepted-break')) ?? '',
      new RegExp(`^\\d+:[0-9a-f]{64} \\S+ accepted-break ${target} hash does not match`),
    );

    const next = await connectHangar(config, { ...UNLIMITED, MCP_DATABASE_PATH: store });
    assert.deepEqual((await next.call('registry_invoke', add(20, 22))).structuredContent, { result: 42 }, 'the next boot serves without the flag');
    await next.close();
    const audit = await verify(store);
    assert.equal(audit.code, 0, audit.stderr);
    assert.match(audit.stdout, /intact over \d+ events, but for 1 accepted break:/);
    assert.match(audit.stdout, new RegExp(`position ${target}: hash does not match .* \\(accepted `));

    sql(store, (db) => db.prepare('DELETE FROM events WHERE position = ?').run(target + 2));
    const another = await verify(store);
    assert.equal(another.code, 1, 'a later break is not covered');
    assert.match(another.stderr, new RegExp(`BROKEN at position ${target + 2}`));
  });

  it('a truncation accepted at boot forgives the anchors it removed, and the next boot checks from the acceptance', async () => {
    const store = variant('truncated-accepted.db', (db) => db.prepare('DELETE FROM events WHERE position > ?').run(anchored - 3));
    const serving = async (...flags: string[]) => {
      const hangar = await connectRawProcess([HANGAR_MAIN, 'serve', '--config', config, ...flags], { ...UNLIMITED, MCP_DATABASE_PATH: store });
      const answer = await hangar.request(2, listCall);
      assert.equal(await hangar.close(), 0, hangar.stderr());
      return answer;
    };
    assert.ok((await serving('--accept-broken-chain')).result);
    const audit = await verify(store);
    assert.equal(audit.code, 0, audit.stderr);
    assert.match(audit.stdout, /1 no longer held, covered by an accepted break/);
    assert.ok((await serving()).result, 'the next boot serves without the flag');
  });

  it('exports every event before a point, verifies the export on its own, refuses to overwrite it, and finds a tampered line', async () => {
    const store = variant('exported.db');
    const out = join(dir, 'before-10.jsonl');
    const exported = await run(['audit', 'export', '-c', config, '--before', '10', '--out', out], { MCP_DATABASE_PATH: store });
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, new RegExp(`${out}: 9 events, positions 1\\.\\.9, last hash [0-9a-f]{64}`));
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 10);
    const log = readFileSync(`${store}.exports.jsonl`, 'utf8').trimEnd().split('\n');
    assert.deepEqual(Object.keys(JSON.parse(log.at(-1) as string) as object), ['path', 'from', 'to', 'count', 'last_hash', 'sha256', 'before', 'created_at']);

    const ok = await run(['audit', 'verify', '--file', out]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /export intact: positions 1\.\.9 \(9 events\)/);

    const again = await run(['audit', 'export', '-c', config, '--before', '10', '--out', out], { MCP_DATABASE_PATH: store });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /exists; an export never overwrites a file/);

    const byTime = join(dir, 'everything.jsonl');
    const all = await run(['audit', 'export', '-c', config, '--before', '2999-01-01T00:00:00Z', '--out', byTime], { MCP_DATABASE_PATH: store });
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, new RegExp(`${head} events, positions 1\\.\\.${head},`));
    assert.equal((await run(['audit', 'verify', '--file', byTime])).code, 0);

    const tampered = join(dir, 'tampered.jsonl');
    lines[5] = (lines[5] as string).replace(/"occurred_at":"[^"]+"/, '"occurred_at":"2000-01-01T00:00:00.000Z"');
    writeFileSync(tampered, `${lines.join('\n')}\n`);
    const bad = await run(['audit', 'verify', '--file', tampered]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /export BROKEN at line 6, position 5: hash does not match/);
    assert.equal((await run(['audit', 'verify', '--file', join(dir, 'nowhere.jsonl')])).code, 2);
    assert.equal(existsSync(join(dir, 'nowhere.jsonl')), false);
  });

  it('a serving hangar anchors every audit.anchor_every events, and the head at shutdown', async () => {
    const own = dirs.make();
    const every = writeConfig(own, `providers:\n  math:\n    command: [node, ${JSON.stringify(MATH_SERVER)}]\naudit:\n  anchor_every: 4\n`);
    const store = join(own, 'data', 'hangar.db');
    const hangar = await connectHangar(every, UNLIMITED);
    for (let i = 0; i < 6; i++) await hangar.call('registry_invoke', add(i, i));
    await eventually(async () => existsSync(`${store}.anchors`) && anchorLines(store).length >= 2);
    await hangar.close();
    const positions = anchorLines(store).map((l) => Number(l.split(':')[0]));
    const last = sql(store, (db) => db.prepare('SELECT max(position) FROM events').pluck().get() as number);
    assert.equal(positions.at(-1), last, 'the last anchor is the head at shutdown');
    for (let i = 1; i < positions.length - 1; i++) assert.ok((positions[i] as number) - (positions[i - 1] as number) >= 4, `${positions.join(',')}`);
    const printed = await run(['audit', 'anchor', '-c', every]);
    assert.equal(printed.stdout.trim(), (anchorLines(store).at(-1) as string).split(' ')[0]);
  });
});
