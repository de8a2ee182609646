import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hangarEventRegistry } from '../../src/infrastructure/persistence/hangar-event-schemas.js';
import { openSqliteEventStore } from '../../src/infrastructure/persistence/sqlite/sqlite-event-store.js';
import { FAULTY_SERVER, MATH_SERVER, UNLIMITED, connectHangar, type ConnectedHangar, eventually, tempDirs, writeConfig } from '../support/hangar-harness.js';
import { isAlive } from '../support/processes.js';

interface Details {
  readonly state: string;
  readonly settings: { readonly timeout_s: number };
  readonly process: { readonly pid: number | null; readonly in_flight: number } | null;
}

const math = (id: string) => `  ${id}:\n    command: [node, ${JSON.stringify(MATH_SERVER)}]\n`;
const faulty = (id: string, options: { mark?: string; timeoutS?: number } = {}) =>
  `  ${id}:\n    command: [node, ${JSON.stringify(FAULTY_SERVER)}]\n    env: { MARK: ${options.mark ?? 'a'} }\n    timeout_s: ${options.timeoutS ?? 10}\n`;

/** The events of `types` recorded in the store of the config in `dir` (read-only, while the hangar runs). */
const recorded = async (dir: string, types: readonly string[]) => {
  const store = openSqliteEventStore(join(dir, 'data', 'hangar.db'), { registry: hangarEventRegistry(), readonly: true });
  try {
    return (await store.readAll()).filter((e) => types.includes(e.type));
  } finally {
    await store.close();
  }
};

describe('config hot reload', { timeout: 120_000 }, () => {
  const dirs = tempDirs();
  after(() => dirs.removeAll());

  const helpers = (hangar: ConnectedHangar) => ({
    ids: async () => ((await hangar.call('registry_list')).structuredContent as { providers: { id: string }[] }).providers.map((p) => p.id).sort(),
    details: async (provider: string) => (await hangar.call('registry_details', { provider })).structuredContent as unknown as Details,
    invoke: (provider: string, tool: string, args: Record<string, unknown> = {}) => hangar.call('registry_invoke', { provider, tool, arguments: args }),
  });

  it('applies a changed file while calls run: adds, restarts on a launch change, keeps the process on a timeout change, removes, refuses an invalid file', async () => {
    const dir = dirs.make();
    const path = writeConfig(dir, `providers:\n${math('math')}${faulty('faulty')}${faulty('doomed')}`);
    const hangar = await connectHangar(path, UNLIMITED);
    const { ids, details, invoke } = helpers(hangar);
    try {
      assert.deepEqual(await ids(), ['doomed', 'faulty', 'math']);
      assert.equal((await invoke('faulty', 'echo', { text: 'hi' })).isError, undefined);
      assert.equal((await invoke('doomed', 'echo', { text: 'hi' })).isError, undefined);
      assert.equal((await invoke('math', 'add', { a: 1, b: 2 })).isError, undefined);
      const faultyPid = (await details('faulty')).process?.pid as number;
      const doomedPid = (await details('doomed')).process?.pid as number;
      const mathPid = (await details('math')).process?.pid as number;

      // A slow call in flight on the provider whose launch settings change, and on the one removed.
      const slow = invoke('faulty', 'slow', { ms: 1500, steps: 3 });
      const slowOnDoomed = invoke('doomed', 'slow', { ms: 1000, steps: 2 });
      await eventually(async () => (await details('faulty')).process?.in_flight === 1 && (await details('doomed')).process?.in_flight === 1);
      writeConfig(dir, `providers:\n${math('math')}${faulty('faulty', { mark: 'b' })}${math('extra')}`);

      await eventually(async () => (await ids()).join() === 'extra,faulty,math', 5000);
      assert.equal((await invoke('extra', 'add', { a: 2, b: 3 })).structuredContent?.['result'], 5);
      // The added provider's tools are listed directly once it told them; a removed one's are gone.
      await eventually(async () => {
        const names = (await hangar.client.listTools()).tools.map((t) => t.name);
        return names.includes('extra__add') && !names.some((n) => n.startsWith('doomed__'));
      }, 5000);
      // The calls in flight finish with their results; only then are their processes stopped.
      const [done, doneOnDoomed] = await Promise.all([slow, slowOnDoomed]);
      assert.equal(done.isError, undefined, JSON.stringify(done));
      assert.equal(doneOnDoomed.isError, undefined, JSON.stringify(doneOnDoomed));
      await eventually(async () => {
        const pid = (await details('faulty')).process?.pid;
        return pid !== undefined && pid !== null && pid !== faultyPid;
      }, 10_000);
      await eventually(async () => !isAlive(faultyPid) && !isAlive(doomedPid), 5000);
      assert.equal((await details('math')).process?.pid, mathPid, 'an unchanged provider keeps its process');
      assert.equal((await invoke('doomed', 'echo', { text: 'x' })).isError, true);

      // Only the timeout changes: the setting applies, the process stays.
      const restartedPid = (await details('faulty')).process?.pid as number;
      writeConfig(dir, `providers:\n${math('math')}${faulty('faulty', { mark: 'b', timeoutS: 20 })}${math('extra')}`);
      await eventually(async () => (await details('faulty')).settings.timeout_s === 20, 5000);
      assert.equal((await details('faulty')).process?.pid, restartedPid);

      // An invalid edit: the running config stays; the problem is logged with its line and recorded.
      writeConfig(dir, `providers:\n${math('math')}${faulty('faulty', { mark: 'b', timeoutS: 20 })}    idle_ttl_s: soon\n`);
      await eventually(async () => /config reload rejected/.test(hangar.stderr()), 5000);
      assert.match(hangar.stderr(), /hangar.yaml:8:\d+ providers\.faulty\.idle_ttl_s/);
      assert.deepEqual(await ids(), ['extra', 'faulty', 'math']);
      assert.equal((await invoke('extra', 'add', { a: 1, b: 1 })).isError, undefined);

      const events = await recorded(dir, ['ConfigReloadRejected', 'ProviderDeregistered', 'ProviderConfigChanged', 'ProviderStopped']);
      const rejected = events.find((e) => e.type === 'ConfigReloadRejected');
      assert.equal(rejected?.streamId, 'instance-1');
      assert.deepEqual(
        (rejected?.data as { problems: readonly { path: string; line: number | null }[] }).problems.map((p) => [p.path, p.line]),
        [['providers.faulty.idle_ttl_s', 8]],
      );
      assert.ok(events.some((e) => e.type === 'ProviderDeregistered' && e.streamId === 'provider-doomed@1'));
      assert.deepEqual(
        events
          .filter((e) => e.type === 'ProviderStopped')
          .map((e) => [e.streamId, (e.data as { reason: string }).reason])
          .sort(),
        [
          ['provider-doomed@1', 'removed_from_config'],
          ['provider-faulty@1', 'config_changed'],
        ],
      );
      assert.equal(events.filter((e) => e.type === 'ProviderConfigChanged' && e.streamId === 'provider-faulty@1').length, 2);
    } finally {
      await hangar.close();
    }
  });

  it('reloads on SIGHUP instead of shutting down', async () => {
    const dir = dirs.make();
    // The served path is a link into another folder, which the watcher does not see: only SIGHUP reloads.
    const real = join(dir, 'real');
    mkdirSync(real);
    const target = join(real, 'hangar.yaml');
    writeFileSync(target, `providers:\n${math('math')}`);
    const path = join(dir, 'hangar.yaml');
    symlinkSync(target, path);
    const hangar = await connectHangar(path, UNLIMITED);
    const { ids, invoke } = helpers(hangar);
    try {
      assert.deepEqual(await ids(), ['math']);
      writeFileSync(target, `providers:\n${math('math')}${math('later')}`);
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(await ids(), ['math'], 'no reload before the signal');
      process.kill(hangar.pid as number, 'SIGHUP');
      await eventually(async () => (await ids()).join() === 'later,math', 5000);
      assert.equal((await invoke('later', 'multiply', { a: 3, b: 4 })).structuredContent?.['result'], 12);
      assert.doesNotMatch(hangar.stderr(), /shutting down/);
    } finally {
      await hangar.close();
    }
  });
});
