import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatMarker,
  formatRun,
  hasExited,
  markerInEnviron,
  parseMarker,
  parseRun,
  parseStat,
  type HangarRun,
} from '../../../src/infrastructure/runtime/process/process-marker.js';
import { sweepTargets, type MarkedProcess, type SweepContext } from '../../../src/infrastructure/runtime/process/sweep-targets.js';

const NS = 4026531836;
const TIME_NS = 4026531834;
const run = (pid: number, startTime = 1000, pidNamespace = NS, timeNamespace = TIME_NS): HangarRun => ({ pid, startTime, pidNamespace, timeNamespace });
const marker = (owner: HangarRun, provider: string, start: number) => formatMarker({ run: owner, provider, start });
const environ = (...entries: string[]) => Buffer.from(entries.map((e) => `${e}\0`).join(''), 'latin1');

describe('the provider marker', () => {
  it('reads back exactly what it wrote', () => {
    const written = { run: run(812, 5063817), provider: 'math-v2_x', start: 3 };
    assert.equal(formatMarker(written), `812.5063817.${NS}.${TIME_NS}/math-v2_x/3`);
    assert.deepEqual(parseMarker(`812.5063817.${NS}.0/math/1`)?.run, run(812, 5063817, NS, 0), 'a kernel without time namespaces');
    assert.deepEqual(parseMarker(formatMarker(written)), written);
    assert.deepEqual(parseRun(formatRun(written.run)), written.run);
  });

  it('refuses anything it did not write, rather than guess', () => {
    for (const value of [
      '',
      'leak-123',
      `812.5063817.${NS}.${TIME_NS}/math`, // no start number
      `812.5063817.${NS}.${TIME_NS}/math/0`, // starts count from 1
      `812.5063817.${NS}.${TIME_NS}/math/3/x`,
      `812.5063817.${NS}/math/3`, // no time namespace
      `0812.5063817.${NS}.${TIME_NS}/math/3`, // leading zero
      `1.5063817.${NS}.${TIME_NS}/math/3`, // pid 1 is never a hangar
      `812.5063817.${NS}.${TIME_NS}/9math/3`, // not a provider id
      `812.5063817.${NS}.${TIME_NS}/math/3 `,
      ` 812.5063817.${NS}.${TIME_NS}/math/3`,
      `812.99999999999999999.${NS}.${TIME_NS}/math/3`, // past the safe integers
    ])
      assert.equal(parseMarker(value), null, value);
  });

  it('is found in a /proc environ block only as a whole variable, the first one counting', () => {
    const value = marker(run(812), 'math', 1);
    assert.equal(markerInEnviron(environ('PATH=/bin', `MCP_HANGAR_PROCESS=${value}`, 'HOME=/root')), value);
    assert.equal(markerInEnviron(environ(`MCP_HANGAR_PROCESS=${value}`)), value);
    assert.equal(markerInEnviron(Buffer.from(`A=1\0MCP_HANGAR_PROCESS=${value}`)), value, 'a last entry without its NUL');
    assert.equal(markerInEnviron(environ('XMCP_HANGAR_PROCESS=2.2.3.4/a/1', 'B=MCP_HANGAR_PROCESS=x')), null);
    assert.equal(markerInEnviron(environ('MCP_HANGAR_PROCESS=first', 'MCP_HANGAR_PROCESS=second')), 'first');
    assert.equal(markerInEnviron(Buffer.alloc(0)), null, 'a zombie reads empty');
  });
});

describe('/proc/<pid>/stat', () => {
  const tail = '0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 5063817 1000000 100 18446744073709551615';

  it('gives state, parent and start time, whatever the command name holds', () => {
    assert.deepEqual(parseStat(`812 (node) S 1 812 812 ${tail}`), { state: 'S', ppid: 1, startTime: 5063817 });
    assert.deepEqual(parseStat(`812 (a) b (c)) Z 77 812 812 ${tail}`), { state: 'Z', ppid: 77, startTime: 5063817 });
  });

  it('says null for a line of another shape', () => {
    assert.equal(parseStat('garbage'), null);
    assert.equal(parseStat('812 (node) S 1 812'), null);
  });

  it('counts zombies as exited', () => {
    assert.equal(hasExited({ state: 'Z', ppid: 1, startTime: 1 }), true);
    assert.equal(hasExited({ state: 'S', ppid: 1, startTime: 1 }), false);
  });
});

describe('which processes a sweep signals', () => {
  const self = run(500, 9000);
  const other = run(600, 9100); // another live hangar sharing the store
  const dead = run(700, 8000); // a hangar that died with its watchdog
  const reused = run(500, 1); // a dead hangar whose pid the sweeper now has
  const elsewhere = run(700, 8000, NS + 1); // a hangar in another pid namespace
  const otherClock = run(710, 8000, NS, TIME_NS + 1); // a hangar in another time namespace: start times read differently
  const listing: MarkedProcess[] = [
    { pid: 11, marker: marker(self, 'math', 1) },
    { pid: 12, marker: marker(self, 'math', 2) },
    { pid: 13, marker: marker(self, 'files', 3) },
    { pid: 21, marker: marker(other, 'math', 1) },
    { pid: 31, marker: marker(dead, 'math', 1) },
    { pid: 32, marker: marker(dead, 'files', 7) },
    { pid: 41, marker: marker(reused, 'math', 1) },
    { pid: 51, marker: marker(elsewhere, 'math', 1) },
    { pid: 52, marker: marker(otherClock, 'math', 1) },
    { pid: 61, marker: 'leak-123' },
    { pid: 62, marker: `${marker(self, 'math', 1)}x` },
    { pid: 1, marker: marker(dead, 'math', 1) },
    { pid: 500, marker: marker(dead, 'math', 1) }, // the sweeper itself, started by a hangar that died
  ];
  const asked: string[] = [];
  const context: SweepContext = {
    selfPid: 500,
    runAlive: (r) => {
      asked.push(formatRun(r));
      return r.pid === other.pid && r.startTime === other.startTime;
    },
  };

  it("a provider start's sweep takes exactly its marker", () => {
    assert.deepEqual(sweepTargets(listing, { kind: 'start', marker: marker(self, 'math', 1) }, context), [11]);
    assert.deepEqual(sweepTargets(listing, { kind: 'start', marker: 'leak-123' }, context), [], 'never a malformed marker');
  });

  it("a hangar run's sweep takes every start of that run and nothing of a run that reused its pid", () => {
    assert.deepEqual(sweepTargets(listing, { kind: 'run', run: self }, context), [11, 12, 13]);
  });

  it('a boot sweep takes what dead runs of its own namespaces left, asking once per run', () => {
    asked.length = 0;
    assert.deepEqual(sweepTargets(listing, { kind: 'orphans', self }, context), [31, 32, 41]);
    assert.deepEqual(asked.sort(), [formatRun(other), formatRun(dead), formatRun(reused)].sort());
  });

  it('leaves everything alone when the owner cannot be judged', () => {
    assert.deepEqual(sweepTargets(listing, { kind: 'orphans', self }, { selfPid: 500, runAlive: () => true }), []);
  });
});
