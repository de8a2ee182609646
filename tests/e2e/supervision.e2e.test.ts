import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { FAULTY_SERVER, REPO_ROOT, connectHangar, type ConnectedHangar, errorOf, eventually, tempDirs, writeConfig } from '../support/hangar-harness.js';
import { childrenOf, commandLineOf, isAlive, processesWithMarker, waitUntilDead } from '../support/processes.js';

/** Every provider process (and whatever it starts) carries a marker in its environment, so leftovers can be found. */
const config = (dir: string, marker: string) =>
  writeConfig(
    dir,
    `providers:
  wrapped:
    command: [sh, -c, ${JSON.stringify(`"${process.execPath}" "${FAULTY_SERVER}"; echo "sh outlived its child" >&2`)}]
    env: { HANGAR_LEAK_MARK: ${marker} }
    idle_ttl_s: 0
    timeout_s: 10
  direct:
    command: [node, ${JSON.stringify(FAULTY_SERVER)}]
    env: { HANGAR_LEAK_MARK: ${marker} }
    idle_ttl_s: 0
  npx-everything:
    command: [npx, --offline, --no-install, mcp-server-everything]
    cwd: ${JSON.stringify(REPO_ROOT)}
    env: { HANGAR_LEAK_MARK: ${marker}, npm_config_update_notifier: "false" }
    idle_ttl_s: 0
    timeout_s: 60
`,
  );

describe('supervision leaves no process behind', { timeout: 180_000 }, () => {
  // Each test has its own marker, config folder and event store.
  const dirs = tempDirs();
  after(() => dirs.removeAll());

  it('after many start, stop and crash cycles through sh -c and npx wrappers, including grandchildren', async () => {
    const marker = `leak-${randomUUID()}`;
    const hangar = await connectHangar(config(dirs.make(), marker));
    try {
      const invoke = (provider: string, tool: string, args: Record<string, unknown> = {}) =>
        hangar.call('registry_invoke', { provider, tool, arguments: args });
      for (let cycle = 0; cycle < 6; cycle++) {
        for (const provider of ['wrapped', 'direct']) {
          const spawned = await invoke(provider, 'spawn_child');
          assert.equal(spawned.isError, undefined, JSON.stringify(spawned));
          assert.ok(processesWithMarker(marker).length >= 2);
          if (cycle % 2 === 0) assert.equal((await hangar.call('registry_stop', { provider })).isError, undefined);
          else assert.equal(errorOf(await invoke(provider, 'crash')).code, 'PROVIDER_CRASHED');
        }
      }
      for (let cycle = 0; cycle < 2; cycle++) {
        assert.equal((await invoke('npx-everything', 'echo', { message: 'hi' })).isError, undefined);
        await hangar.call('registry_stop', { provider: 'npx-everything' });
      }
      await eventually(async () => processesWithMarker(marker).length === 0, 5000);
    } finally {
      await hangar.close();
    }
    assert.deepEqual(processesWithMarker(marker), []);
  });

  it('when the hangar itself is killed with SIGKILL, its providers and their children exit within seconds', async () => {
    const marker = `leak-${randomUUID()}`;
    const hangar = await connectHangar(config(dirs.make(), marker));
    try {
      const invoke = (provider: string, tool: string) => hangar.call('registry_invoke', { provider, tool, arguments: {} });
      assert.equal((await invoke('wrapped', 'spawn_child')).isError, undefined);
      assert.equal((await invoke('direct', 'spawn_child')).isError, undefined);
      assert.ok(processesWithMarker(marker).length >= 5, 'sh, two providers and two grandchildren are running');
      process.kill(hangar.pid as number, 'SIGKILL');
      await eventually(async () => processesWithMarker(marker).length === 0, 6000);
    } finally {
      await hangar.close().catch(() => undefined); // the hangar was killed: closing its client may fail
    }
  });
});

/** Two providers that start escapees on request: processes in a session of their own that ignore SIGTERM. */
const escapeConfig = (dir: string, marker: string) =>
  writeConfig(
    dir,
    `providers:
  daemons:
    command: [node, ${JSON.stringify(FAULTY_SERVER)}]
    env: { HANGAR_LEAK_MARK: ${marker} }
    idle_ttl_s: 0
  bystander:
    command: [node, ${JSON.stringify(FAULTY_SERVER)}]
    env: { HANGAR_LEAK_MARK: ${marker}-bystander }
    idle_ttl_s: 0
`,
  );

/** Asks `provider` for one setsid escapee and one daemonised (double fork + setsid) escapee; their pids. */
const startEscapees = async (hangar: ConnectedHangar, provider = 'daemons'): Promise<number[]> => {
  const pids: number[] = [];
  for (const doubleFork of [false, true]) {
    const result = await hangar.call('registry_invoke', { provider, tool: 'spawn_escapee', arguments: { double_fork: doubleFork } });
    assert.equal(result.isError, undefined, JSON.stringify(result));
    const pid = (result.structuredContent as { pid: number }).pid;
    assert.ok(pid > 1 && isAlive(pid), `escapee ${pid} runs`);
    pids.push(pid);
  }
  return pids;
};

const allDead = async (pids: readonly number[], ms: number): Promise<void> => {
  for (const pid of pids) assert.ok(await waitUntilDead(pid, ms), `process ${pid} (${commandLineOf(pid)}) is still running`);
};

describe('supervision ends processes that left the provider session (Linux /proc)', { timeout: 120_000, skip: process.platform !== 'linux' }, () => {
  const dirs = tempDirs();
  after(() => dirs.removeAll());

  it('registry_stop ends setsid and daemonised grandchildren of that start, and only of that provider', async () => {
    const marker = `escape-${randomUUID()}`;
    const hangar = await connectHangar(escapeConfig(dirs.make(), marker));
    try {
      const bystanders = await startEscapees(hangar, 'bystander');
      for (let cycle = 0; cycle < 2; cycle++) {
        const escapees = await startEscapees(hangar);
        assert.equal((await hangar.call('registry_stop', { provider: 'daemons' })).isError, undefined);
        await allDead(escapees, 3000);
        assert.deepEqual(processesWithMarker(`HANGAR_LEAK_MARK=${marker}\0`), []);
      }
      assert.ok(bystanders.every(isAlive), "another provider's escapees are left alone");
    } finally {
      await hangar.close();
    }
  });

  it('closing the hangar ends them', async () => {
    const marker = `escape-${randomUUID()}`;
    const hangar = await connectHangar(escapeConfig(dirs.make(), marker));
    const escapees = [...(await startEscapees(hangar)), ...(await startEscapees(hangar, 'bystander'))];
    await hangar.close();
    await allDead(escapees, 5000);
    assert.deepEqual(processesWithMarker(marker), []);
  });

  it('SIGKILL of the hangar: its watchdog ends them', async () => {
    const marker = `escape-${randomUUID()}`;
    const hangar = await connectHangar(escapeConfig(dirs.make(), marker));
    try {
      const escapees = [...(await startEscapees(hangar)), ...(await startEscapees(hangar, 'bystander'))];
      process.kill(hangar.pid as number, 'SIGKILL');
      await allDead(escapees, 6000);
      assert.deepEqual(processesWithMarker(marker), []);
    } finally {
      await hangar.close().catch(() => undefined);
    }
  });

  it('SIGKILL of the hangar and its watchdog: the next hangar to boot ends what they left', async () => {
    const marker = `escape-${randomUUID()}`;
    const config = escapeConfig(dirs.make(), marker);
    const first = await connectHangar(config);
    let escapees: number[];
    try {
      escapees = await startEscapees(first);
      const hangarPid = first.pid as number;
      const watchdogs = childrenOf(hangarPid).filter((pid) => commandLineOf(pid).includes('watchdog-main.js'));
      assert.equal(watchdogs.length, 1, 'the hangar started one watchdog');
      process.kill(watchdogs[0]!, 'SIGKILL');
      assert.ok(await waitUntilDead(watchdogs[0]!));
      process.kill(hangarPid, 'SIGKILL');
      assert.ok(await waitUntilDead(hangarPid));
      assert.ok(escapees.every(isAlive), 'with hangar and watchdog killed, the escapees are left over');
    } finally {
      await first.close().catch(() => undefined);
    }
    const second = await connectHangar(config);
    try {
      assert.equal((await second.call('registry_list')).isError, undefined); // the hangar has booted
      await allDead(escapees, 3000);
      assert.deepEqual(processesWithMarker(marker), []);
    } finally {
      await second.close();
    }
  });
});
