import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { FAULTY_SERVER, REPO_ROOT, connectHangar, errorOf, eventually, tempDirs, writeConfig } from '../support/hangar-harness.js';
import { processesWithMarker } from '../support/processes.js';

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
