import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MATH_SERVER, connectHangar, tempDir, writeConfig, type ConnectedHangar, UNLIMITED, runCli } from '../support/hangar-harness.js';
import { waitUntilDead } from '../support/processes.js';

/** The standard output of the hangar's command line. */
const cli = async (...args: string[]): Promise<string> => (await runCli(...args)).stdout;

type Entry = { instance: string | null; type: string; data: Record<string, unknown> };

/** `count` calls of add through `hangar`, `inFlight` at a time; resolves to how many returned the right sum. */
const load = async (hangar: ConnectedHangar, count: number, inFlight: number): Promise<number> => {
  let next = 0;
  let right = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const a = next++;
        const result = await hangar.call('registry_invoke', { provider: 'math', tool: 'add', arguments: { a, b: 1 } });
        assert.equal(result.isError, undefined, JSON.stringify(result));
        assert.deepEqual(result.structuredContent, { result: a + 1 });
        right++;
      }
    }),
  );
  return right;
};

const details = async (hangar: ConnectedHangar) =>
  (await hangar.call('registry_details', { provider: 'math' })).structuredContent as { instance: string; state: string; process: { pid: number } | null };

describe('several hangars serving from one event store', { timeout: 120_000 }, () => {
  const dir = tempDir();
  after(() => dir.remove());

  it('serve at the same time with their own providers; a SIGKILLed one restarts in its seat; nothing is lost or falsely stopped', async () => {
    const config = writeConfig(dir.path, `providers:\n  math:\n    command: [node, ${JSON.stringify(MATH_SERVER)}]\n    idle_ttl_s: 0\n`);
    const first = await connectHangar(config, UNLIMITED);
    const second = await connectHangar(config, UNLIMITED);
    let third: ConnectedHangar | undefined;
    try {
      // Both at once, under load: every call answered, each hangar with its own provider process.
      const [a, b] = await Promise.all([load(first, 300, 8), load(second, 300, 8)]);
      const [ofFirst, ofSecond] = await Promise.all([details(first), details(second)]);
      assert.deepEqual([ofFirst.instance, ofSecond.instance], ['1', '2']);
      assert.notEqual(ofFirst.process?.pid, ofSecond.process?.pid, 'one provider process per hangar');

      // The first hangar dies without a word while the second keeps serving.
      const busy = load(second, 300, 4);
      process.kill(first.pid as number, 'SIGKILL');
      assert.ok(await waitUntilDead(ofFirst.process?.pid as number, 6000), 'its provider went with it');
      third = await connectHangar(config, UNLIMITED);
      const [c, d, e] = await Promise.all([load(third, 200, 8), busy, load(second, 100, 4)]);
      const ofThird = await details(third);
      assert.equal(ofThird.instance, '1', 'the restarted hangar took the seat the dead one left');
      assert.equal((await details(second)).process?.pid, ofSecond.process?.pid, 'the live hangar kept its provider');
      await third.close();
      await second.close();

      const history = JSON.parse(await cli('history', 'math', '--json', '--config', config)) as { events: Entry[] };
      const of = (instance: string, type: string) => history.events.filter((x) => x.instance === instance && x.type === type);
      assert.equal(of('1', 'ToolInvoked').length + of('2', 'ToolInvoked').length, a + b + c + d + e, 'every answered call is recorded');
      assert.equal(history.events.filter((x) => x.type === 'ToolInvocationFailed').length, 0);
      assert.deepEqual(
        of('2', 'ProviderStopped').map((x) => x.data['reason']),
        ['shutdown'],
        'the live hangar was never told its provider stopped',
      );
      assert.deepEqual(
        of('1', 'ProviderStopped').map((x) => x.data['reason']),
        ['hangar_restart', 'shutdown'],
        "the dead hangar's provider is closed once, by the hangar that took its seat",
      );
      const verify = await cli('audit', 'verify', '--config', config);
      assert.match(verify, /intact/);
    } finally {
      await Promise.all([first.close().catch(() => undefined), second.close(), third?.close()]);
    }
  });
});
