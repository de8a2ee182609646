import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { anchorFilePath, FileChainAnchors, formatAnchorLine, parseAnchorFile } from '../../../src/infrastructure/persistence/anchor-file.js';
import { tempDirs } from '../../support/hangar-harness.js';

const hash = (c: string) => c.repeat(64);

describe('the anchor file', () => {
  const dirs = tempDirs('hangar-anchors-');
  after(() => dirs.removeAll());

  it('is one line per anchor, `position:hash time`, and an acceptance adds the break it accepted', () => {
    const plain = { head: { position: 12, hash: hash('a') }, at: '2026-01-01T10:00:00.000Z' };
    const accepted = { ...plain, acceptedBreak: { position: 7, reason: 'row 7 is missing\n(deleted)' } };
    assert.equal(formatAnchorLine(plain), `12:${hash('a')} 2026-01-01T10:00:00.000Z`);
    assert.equal(formatAnchorLine(accepted), `12:${hash('a')} 2026-01-01T10:00:00.000Z accepted-break 7 row 7 is missing (deleted)`);
    const parsed = parseAnchorFile(`${formatAnchorLine(plain)}\n${formatAnchorLine(accepted)}\n`);
    assert.deepEqual(parsed, {
      records: [plain, { ...plain, acceptedBreak: { position: 7, reason: 'row 7 is missing (deleted)' } }],
      problems: [],
    });
  });

  it('reports lines that are not anchors, and leaves out a last line cut short by a crash', () => {
    const good = `3:${hash('b')} 2026-01-01T10:00:00.000Z`;
    const parsed = parseAnchorFile(`${good}\nnot an anchor\n3:${hash('b')} yesterday\n\n${good}\n3:${hash('b').slice(0, 20)}`);
    assert.equal(parsed.records.length, 2);
    assert.deepEqual(
      parsed.problems.map((p) => p.line),
      [2, 3],
    );
  });

  it('appends durably next to the store, never rewriting it; reads nothing when there is none yet', async () => {
    const store = join(dirs.make(), 'hangar.db');
    const anchors = FileChainAnchors.beside(store);
    assert.equal(anchors.location, anchorFilePath(store));
    assert.equal(anchors.location, `${store}.anchors`);
    assert.deepEqual(await anchors.read(), { exists: false, records: [], problems: [] });
    const first = { head: { position: 1, hash: hash('c') }, at: '2026-01-01T10:00:00.000Z' };
    const second = { head: { position: 2, hash: hash('d') }, at: '2026-01-01T10:01:00.000Z' };
    await anchors.append([first]);
    await anchors.append([second]);
    assert.equal(readFileSync(anchors.location, 'utf8'), `${formatAnchorLine(first)}\n${formatAnchorLine(second)}\n`);
    appendFileSync(anchors.location, 'garbage\n');
    const read = await anchors.read();
    assert.deepEqual([read.exists, read.records, read.problems.map((p) => p.line)], [true, [first, second], [3]]);
  });
});
