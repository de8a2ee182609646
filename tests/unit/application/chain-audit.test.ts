import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnchorRecord } from '../../../src/application/ports/chain-anchors.js';
import { auditChain, checkChainAtBoot, formatHead, parseHead } from '../../../src/application/queries/chain-audit.js';
import type { HangarEvent } from '../../../src/domain/hangar-event.js';
import { MemoryChainAnchors } from '../../../src/infrastructure/persistence/anchor-file.js';
import { hangarEventRegistry } from '../../../src/infrastructure/persistence/hangar-event-schemas.js';
import { InMemoryEventStore } from '../../../src/infrastructure/persistence/memory/in-memory-event-store.js';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString();

/** A store of `n` events (positions 1..n) and an empty anchor list. */
const given = async (n: number) => {
  const store = new InMemoryEventStore<HangarEvent>({ registry: hangarEventRegistry() });
  for (let i = 1; i <= n; i++) await store.append('instance-1', [{ type: 'InstanceStopped', data: { reason: 'shutdown' } }], 'any', { occurredAt: at(i) });
  const anchors = new MemoryChainAnchors();
  const headAt = (position: number) => ({ position, hash: store.log.rows[position - 1]?.hash ?? assert.fail(`no row ${position}`) });
  const anchor = (position: number, minute = position): AnchorRecord => ({ head: headAt(position), at: at(minute) });
  /** Changes the stored data of row `position` (its hash stays). */
  const alter = (position: number) => {
    const index = store.log.rows.findIndex((r) => r.position === position);
    const row = store.log.rows[index] ?? assert.fail(`no row ${position}`);
    store.log.rows[index] = { ...row, data: '{"reason":"died"}' };
  };
  const remove = (position: number) =>
    store.log.rows.splice(
      store.log.rows.findIndex((r) => r.position === position),
      1,
    );
  const truncateTo = (position: number) => store.log.rows.splice(position);
  return { store, anchors, headAt, anchor, alter, remove, truncateTo };
};

describe('the boot check of the hash chain', () => {
  it('with no anchor yet, verifies the whole chain and offers its head to anchor', async () => {
    const { store, anchors, headAt } = await given(6);
    const check = await checkChainAtBoot(store, anchors);
    assert.deepEqual([check.breaks, check.from, check.anchored, check.count, check.head], [[], undefined, false, 6, headAt(6)]);
  });

  it('an empty store has nothing to anchor', async () => {
    const { store, anchors } = await given(0);
    const check = await checkChainAtBoot(store, anchors);
    assert.deepEqual([check.breaks, check.count, check.head], [[], 0, undefined]);
  });

  it('verifies from the newest anchor only (what was written since), and offers the new head', async () => {
    const { store, anchors, anchor, headAt } = await given(10);
    await anchors.append([anchor(3), anchor(8), anchor(5)]);
    const check = await checkChainAtBoot(store, anchors);
    assert.deepEqual([check.breaks, check.from?.head.position, check.count, check.head], [[], 8, 2, headAt(10)]);
  });

  it('does not see a row altered before the newest anchor (that is audit verify’s job), but one after it', async () => {
    const { store, anchors, anchor, alter } = await given(10);
    await anchors.append([anchor(8)]);
    alter(4);
    assert.deepEqual((await checkChainAtBoot(store, anchors)).breaks, []);
    alter(9);
    const check = await checkChainAtBoot(store, anchors);
    assert.deepEqual(
      check.breaks.map((b) => b.position),
      [9],
    );
    assert.match(check.breaks[0]?.reason ?? '', /hash does not match/);
    assert.equal(check.head, undefined, 'nothing to anchor on a broken chain');
  });

  it('collects every break after the anchor, going on past each one', async () => {
    const { store, anchors, anchor, alter, remove } = await given(12);
    await anchors.append([anchor(4)]);
    remove(6);
    alter(9);
    const check = await checkChainAtBoot(store, anchors);
    assert.deepEqual(
      check.breaks.map((b) => [b.position, b.reason]),
      [
        [6, 'row 6 is missing (deleted)'],
        [9, 'hash does not match the row content and the previous hash (row or hash altered)'],
      ],
    );
    assert.equal(check.tooMany, false);
  });

  it('sees a truncation by the anchor no longer held, and checks from an older anchor the store still holds', async () => {
    const { store, anchors, anchor, truncateTo, alter } = await given(10);
    await anchors.append([anchor(4), anchor(10)]);
    truncateTo(7);
    alter(6);
    const check = await checkChainAtBoot(store, anchors);
    assert.deepEqual(
      check.breaks.map((b) => b.position),
      [10, 6],
    );
    assert.match(
      check.breaks[0]?.reason ?? '',
      /^the anchored head 10:[0-9a-f]{12}… \(anchored .*\) is no longer in the store: row 10 is missing: the store ends at position 7/,
    );
    assert.equal(check.from?.head.position, 4);
  });

  it('checks from the last acceptance on: anchors written before it are not looked at', async () => {
    const { store, anchors, anchor, headAt, truncateTo } = await given(10);
    await anchors.append([anchor(9)]);
    truncateTo(6);
    await anchors.append([{ head: headAt(6), at: at(30), acceptedBreak: { position: 9, reason: 'truncated' } }]);
    const check = await checkChainAtBoot(store, anchors);
    assert.deepEqual([check.breaks, check.from?.head.position], [[], 6]);
  });
});

describe('audit verify: the chain, the anchor list, and given heads', () => {
  it('passes an intact chain whose anchors are all held', async () => {
    const { store, anchors, anchor } = await given(8);
    await anchors.append([anchor(3), anchor(8)]);
    const audit = await auditChain(store, anchors);
    assert.deepEqual(
      [audit.ok, audit.count, audit.broken, audit.anchors.held, audit.anchors.failed, audit.anchors.latest?.head.position],
      [true, 8, undefined, 2, [], 8],
    );
  });

  it('fails at the first break, and on an anchor the store no longer holds (a truncation the chain alone cannot show)', async () => {
    const { store, anchors, anchor, truncateTo } = await given(8);
    await anchors.append([anchor(3), anchor(8)]);
    truncateTo(6);
    const audit = await auditChain(store, anchors);
    assert.equal(audit.broken, undefined, 'what remains links');
    assert.equal(audit.ok, false);
    assert.deepEqual(
      audit.anchors.failed.map((f) => [f.record.head.position, f.reason]),
      [[8, 'row 8 is missing: the store ends at position 6 (its newest events were removed)']],
    );
  });

  it('passes over an accepted break, and stops at one that was not accepted', async () => {
    const { store, anchors, headAt, alter } = await given(10);
    alter(4);
    await anchors.append([{ head: headAt(10), at: at(40), acceptedBreak: { position: 4, reason: 'altered' } }]);
    const accepted = await auditChain(store, anchors);
    assert.deepEqual([accepted.ok, accepted.count, accepted.accepted.map((a) => [a.position, a.acceptedAt])], [true, 9, [[4, at(40)]]]);
    alter(7);
    const again = await auditChain(store, anchors);
    assert.deepEqual([again.ok, again.broken?.position], [false, 7]);
  });

  it('forgives the anchors written before an acceptance at or after its position, and no other', async () => {
    const { store, anchors, anchor, headAt, truncateTo } = await given(10);
    await anchors.append([anchor(2), anchor(9)]);
    truncateTo(5);
    await anchors.append([{ head: headAt(5), at: at(50), acceptedBreak: { position: 9, reason: 'truncated' } }]);
    const audit = await auditChain(store, anchors);
    assert.deepEqual([audit.ok, audit.anchors.held, audit.anchors.forgiven, audit.anchors.failed], [true, 2, 1, []]);
    truncateTo(1);
    const later = await auditChain(store, anchors);
    assert.deepEqual(
      later.anchors.failed.map((f) => f.record.head.position),
      [2, 5],
      'a later truncation is not covered by the earlier acceptance',
    );
  });

  it('checks given heads strictly, and reports lines of the anchor list that are not anchors', async () => {
    const { store, anchors, headAt } = await given(4);
    const audit = await auditChain(store, anchors, [headAt(4), { position: 4, hash: 'b'.repeat(64) }, { position: 9, hash: 'c'.repeat(64) }]);
    assert.deepEqual(
      audit.given.map((g) => g.notHeld),
      [
        undefined,
        `row 4 holds the hash ${headAt(4).hash.slice(0, 12)}…, not bbbbbbbbbbbb… (replaced)`,
        'row 9 is missing: the store ends at position 4 (its newest events were removed)',
      ],
    );
    assert.equal(audit.ok, false);
    assert.equal(audit.anchors.exists, false);
  });

  it('reads and prints a head as position:hash', () => {
    const hash = 'a1'.repeat(32);
    assert.deepEqual(parseHead(`12:${hash}`), { position: 12, hash });
    assert.equal(formatHead({ position: 12, hash }), `12:${hash}`);
    for (const bad of ['12', `x:${hash}`, `12:${hash.slice(1)}`, `12:${hash.toUpperCase()}`]) assert.equal(parseHead(bad), undefined, bad);
  });
});
