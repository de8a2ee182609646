import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderExit } from '../../src/application/ports/provider-runtime.js';
import { DomainError } from '../../src/domain/shared/errors.js';
import { McpConnection } from '../../src/infrastructure/runtime/mcp/mcp-connection.js';
import type { LifecycleExit, ProviderLifecycle } from '../../src/infrastructure/runtime/mcp/provider-lifecycle.js';
import type { StartFailureFacts } from '../../src/infrastructure/runtime/mcp/start-failure.js';
import { FakeProvider } from '../support/fake-provider.js';
import { rejection } from '../support/rejection.js';

/** A provider's process as the connection sees it: ends when told to, or when terminated or killed. */
class FakeLifecycle implements ProviderLifecycle {
  readonly pid = 4242;
  readonly calls: string[] = [];
  readonly ended: Promise<LifecycleExit>;
  onTerminate: () => void = () => undefined;
  private settle: (exit: LifecycleExit) => void = () => undefined;
  private done = false;
  private hold: NodeJS.Timeout | undefined;

  constructor() {
    this.ended = new Promise((resolve) => (this.settle = resolve));
  }

  /** The process ends (by itself, unless `endedByRuntime` says otherwise). */
  end(exit: Partial<LifecycleExit>): void {
    if (this.done) return;
    this.done = true;
    clearInterval(this.hold);
    this.calls.push('ended');
    this.settle({ exitCode: null, signal: null, launchError: null, endedByRuntime: false, ...exit });
  }

  terminate(): void {
    this.calls.push('terminate');
    this.onTerminate();
    setTimeout(() => this.end({ signal: 'SIGTERM', endedByRuntime: true }), 10);
  }

  kill(): void {
    this.calls.push('kill');
    this.end({ signal: 'SIGKILL', endedByRuntime: true });
  }

  /** Like a child process's handle, a provider kept alive holds the event loop open until it ends. */
  keepAlive(on: boolean): void {
    this.calls.push(`keepAlive:${on}`);
    clearInterval(this.hold);
    this.hold = on && !this.done ? setInterval(() => undefined, 1000) : undefined;
  }
}

/** A connection to a fake provider; `facts` collects what a failed start reported. */
const connect = (fake = new FakeProvider()) => {
  const lifecycle = new FakeLifecycle();
  const facts: StartFailureFacts[] = [];
  const startFailed = (f: StartFailureFacts) => (facts.push(f), new DomainError('PROVIDER_START_FAILED', 'start failed'));
  const streams = { stdin: fake.stdin, stdout: fake.stdout, stderr: fake.stderr };
  const connection = new McpConnection({ provider: 'p', lifecycle, streams, startFailed }, { maxLineBytes: 1024 });
  return { fake, lifecycle, connection, facts };
};

const started = async () => {
  const parts = connect();
  await parts.connection.open(2000);
  parts.fake.on('tools/call', () => undefined); // calls hang unless a test answers them
  return parts;
};

/** The process dies: its last words on stderr, its streams close, then it is reported ended. */
const die = (fake: FakeProvider, lifecycle: FakeLifecycle, exit: Partial<LifecycleExit>, stderr = ''): void => {
  fake.stderr.end(stderr);
  fake.stdout.end();
  lifecycle.end(exit);
};

describe('McpConnection running', () => {
  it('refuses an answer too long to read with RESULT_TOO_LARGE, and serves the next call', async () => {
    const { connection, fake } = await started();
    fake.on('tools/call', (r) => fake.result(r, r.params?.['name'] === 'big' ? { content: [{ type: 'text', text: 'x'.repeat(5000) }] } : { content: [] }));
    const refused = await rejection(connection.callTool('big', {}, { timeoutMs: 5000 }));
    assert.equal(refused.code, 'RESULT_TOO_LARGE');
    assert.match(refused.message, /^'big' on 'p' answered with 5 KiB, over the 1 KiB the hangar reads from a provider$/);
    assert.deepEqual(await connection.callTool('small', {}, { timeoutMs: 5000 }), { content: [] });
  });

  it('takes the handshake, and lets the idle provider stop holding the hangar open', async () => {
    const { connection, lifecycle } = await started();
    assert.equal(connection.pid, 4242);
    assert.deepEqual(connection.serverInfo, { name: 'fake', version: '1.0.0' });
    assert.deepEqual(
      connection.tools.map((t) => t.name),
      ['echo'],
    );
    assert.deepEqual(lifecycle.calls, ['keepAlive:false']);
  });

  it('maps the provider refusing a call to INVALID_ARGUMENTS or INTERNAL_ERROR, not to a crash', async () => {
    const { connection, fake } = await started();
    fake.on('tools/call', (r) => (r.params?.['name'] === 'bad' ? fake.error(r, -32602, 'b must be a number') : fake.error(r, -32603, 'boom')));
    const invalid = await rejection(connection.callTool('bad', {}, { timeoutMs: 1000 }));
    assert.deepEqual([invalid.code, invalid.details.retryable, invalid.details.cause], ['INVALID_ARGUMENTS', false, 'MCP error -32602: b must be a number']);
    assert.equal((await rejection(connection.callTool('other', {}, { timeoutMs: 1000 }))).code, 'INTERNAL_ERROR');
  });

  it('maps a timeout to a retryable TIMEOUT and an abort to CANCELLED', async () => {
    const { connection } = await started();
    const timeout = await rejection(connection.callTool('hang', {}, { timeoutMs: 50 }));
    assert.deepEqual([timeout.code, timeout.details.retryable], ['TIMEOUT', true]);
    const cancelled = await rejection(connection.callTool('hang', {}, { timeoutMs: 5000, signal: AbortSignal.abort() }));
    assert.deepEqual([cancelled.code, cancelled.details.retryable], ['CANCELLED', false]);
  });
});

describe('McpConnection when the provider ends', () => {
  it('a crash fails every call in flight with the exit facts and stderr, then settles exited', async () => {
    const { connection, fake, lifecycle } = await started();
    const order: string[] = [];
    const exited = connection.exited.then((exit) => (order.push('exited'), exit));
    const calls = ['one', 'two'].map((tool) => rejection(connection.callTool(tool, {}, { timeoutMs: 5000 })).finally(() => order.push(tool)));
    await fake.waitFor((m) => m.params?.['name'] === 'two');
    die(fake, lifecycle, { exitCode: 3 }, 'panic: out of cheese\n');
    for (const crash of await Promise.all(calls)) {
      assert.equal(crash.code, 'PROVIDER_CRASHED');
      assert.deepEqual([crash.details.exitCode, crash.details.signal, crash.details.stderrTail], [3, null, 'panic: out of cheese']);
      assert.match(crash.message, /crashed during '(one|two)' \(exit code 3\)$/, 'a closed stdout is how a crash looks: not named');
    }
    assert.deepEqual<ProviderExit>(await exited, { exitCode: 3, signal: null, stderrTail: 'panic: out of cheese', expected: false, interruptedCalls: 2 });
    assert.deepEqual(order.slice(2), ['exited'], 'calls in flight fail before exited settles');
    const after = await rejection(connection.callTool('echo', {}, { timeoutMs: 1000 }));
    assert.deepEqual([after.code, after.message], ['PROVIDER_UNAVAILABLE', "provider 'p' is not running: it exited with code 3"]);
    assert.equal((await rejection(connection.ping(1000))).code, 'PROVIDER_UNAVAILABLE');
  });

  it('keeps the last words written to stderr shortly after the exit', async () => {
    const { connection, fake, lifecycle } = await started();
    lifecycle.end({ exitCode: 1 });
    setTimeout(() => fake.stderr.end('last words\n'), 30);
    assert.equal((await connection.exited).stderrTail, 'last words');
  });

  it('a broken stream makes a provider that keeps running get killed, and the crash names the reason', async () => {
    const { connection, fake, lifecycle } = await started();
    const call = rejection(connection.callTool('hang', {}, { timeoutMs: 5000 }));
    await fake.waitFor((m) => m.method === 'tools/call');
    const brokeAt = Date.now();
    fake.stdout.destroy(new Error('EIO: i/o error'));
    const crash = await call;
    assert.ok(Date.now() - brokeAt >= 190, 'it had a moment to exit by itself first');
    assert.deepEqual(lifecycle.calls.slice(1), ['keepAlive:true', 'kill', 'ended']);
    assert.equal(crash.code, 'PROVIDER_CRASHED');
    assert.match(crash.message, /\(killed by SIGKILL\); reading the provider's stdout failed: EIO: i\/o error$/);
    assert.equal((await connection.exited).expected, false);
  });

  it('a provider that exits by itself soon after its stdout closed is not killed', async () => {
    const { connection, fake, lifecycle } = await started();
    const call = rejection(connection.callTool('hang', {}, { timeoutMs: 5000 }));
    await fake.waitFor((m) => m.method === 'tools/call');
    fake.stdout.end();
    setTimeout(() => lifecycle.end({ exitCode: 0 }), 50);
    const crash = await call;
    assert.deepEqual([crash.details.exitCode, crash.details.signal], [0, null]);
    await sleep(250);
    const { calls } = lifecycle;
    assert.ok(!calls.includes('kill') || calls.indexOf('ended') < calls.indexOf('kill'), `not killed while it ran: ${calls.join(', ')}`);
  });

  it('stop() ends the input, then terminates, once; calls in flight fail as unavailable', async () => {
    const { connection, fake, lifecycle } = await started();
    let inputEndedFirst = false;
    lifecycle.onTerminate = () => (inputEndedFirst = fake.stdin.writableEnded);
    const call = rejection(connection.callTool('hang', {}, { timeoutMs: 5000 }));
    await fake.waitFor((m) => m.method === 'tools/call');
    await Promise.all([connection.stop(), connection.stop()]);
    await connection.stop();
    assert.ok(inputEndedFirst, 'a well-behaved server may exit on end of input before any signal');
    assert.deepEqual(lifecycle.calls, ['keepAlive:false', 'keepAlive:true', 'terminate', 'ended']);
    assert.equal((await call).code, 'PROVIDER_UNAVAILABLE');
    assert.equal((await connection.exited).expected, true);
  });
});

describe('McpConnection start failures', () => {
  const failStart = async (setUp: (fake: FakeProvider, lifecycle: FakeLifecycle) => void, timeoutMs = 2000) => {
    const parts = connect();
    setUp(parts.fake, parts.lifecycle);
    const error = await rejection(parts.connection.open(timeoutMs));
    assert.equal(error.message, 'start failed', "the runtime's own error is thrown");
    assert.equal(parts.facts.length, 1);
    assert.ok(parts.lifecycle.calls.includes('ended'), 'nothing is left running');
    return { ...parts, facts: parts.facts[0]! };
  };

  it('an exit during start: its exit code and stderr', async () => {
    const { facts } = await failStart((fake, lifecycle) => fake.on('initialize', () => die(fake, lifecycle, { exitCode: 1 }, 'fatal: no config\n')));
    assert.deepEqual(facts, {
      exitCode: 1,
      signal: null,
      timedOut: false,
      timeoutMs: 2000,
      pendingStep: 'initialize',
      protocolError: undefined,
      stderrTail: 'fatal: no config',
      skippedStdoutLines: 0,
    });
  });

  it('stdout closed first: waits for the exit so that its own exit code is reported', async () => {
    const { facts, lifecycle } = await failStart((fake, lifecycle) =>
      fake.on('initialize', () => (fake.stdout.end(), setTimeout(() => lifecycle.end({ exitCode: 0 }), 80))),
    );
    assert.deepEqual([facts.exitCode, facts.signal], [0, null]);
    assert.ok(lifecycle.calls.indexOf('ended') < lifecycle.calls.indexOf('kill'), `not killed first: ${lifecycle.calls.join(', ')}`);
  });

  it('no answer within the timeout: the pending step, and the provider killed', async () => {
    const { facts, lifecycle } = await failStart((fake) => fake.on('tools/list', () => undefined), 150);
    assert.deepEqual([facts.timedOut, facts.pendingStep, facts.exitCode, facts.signal], [true, 'tools/list', null, null]);
    assert.deepEqual(lifecycle.calls, ['kill', 'ended']);
  });

  it('an error answer to initialize: a protocol error, and the provider killed', async () => {
    const { facts, lifecycle } = await failStart((fake) => fake.on('initialize', (r) => fake.error(r, -32603, 'database is locked')));
    assert.match(facts.protocolError ?? '', /database is locked/);
    assert.deepEqual([facts.timedOut, facts.exitCode, facts.signal], [false, null, null]);
    assert.deepEqual(lifecycle.calls.slice(-2), ['kill', 'ended']);
  });

  it('a broken stream during start is the protocol error, in words', async () => {
    const { facts } = await failStart((fake) => fake.on('initialize', () => fake.stdout.destroy(new Error('EIO: i/o error'))));
    assert.equal(facts.protocolError, "reading the provider's stdout failed: EIO: i/o error");
  });

  it('a launch that failed: its error, no exit code', async () => {
    const { facts } = await failStart((fake, lifecycle) => die(fake, lifecycle, { launchError: 'ENOENT' }));
    assert.deepEqual([facts.launchError, facts.exitCode, facts.timedOut], ['ENOENT', null, false]);
  });
});
