import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describeCloseReason, streamBroke, type StreamCloseReason } from '../../src/infrastructure/runtime/mcp/close-reason.js';
import { isOversizedMessage, LineTransport } from '../../src/infrastructure/runtime/mcp/line-transport.js';

/** A started transport over fresh streams, recording what it reports. */
const open = async (options: { maxLineBytes?: number; output?: Writable } = {}) => {
  const input = new PassThrough();
  const output = options.output ?? new PassThrough();
  const transport = new LineTransport(input, output, options.maxLineBytes !== undefined ? { maxLineBytes: options.maxLineBytes } : {});
  const seen = { messages: [] as JSONRPCMessage[], errors: [] as string[], closes: 0 };
  transport.onmessage = (m) => seen.messages.push(m);
  transport.onerror = (e) => seen.errors.push(e.message);
  transport.onclose = () => seen.closes++;
  await transport.start();
  return { input, output, transport, seen };
};

describe('LineTransport close reasons', () => {
  it('stdout_closed when the provider ends its output, after delivering its last unterminated line', async () => {
    const { input, transport, seen } = await open();
    input.end('{"jsonrpc":"2.0","method":"notifications/message","params":{}}');
    await tick();
    assert.equal(seen.messages.length, 1);
    assert.deepEqual(transport.closeReason, { kind: 'stdout_closed' });
    assert.equal(transport.isClosed, true);
    assert.equal(seen.closes, 1);
    assert.deepEqual(seen.errors, [], 'ending the output is not an error');
  });

  it('never holds a line over the limit: an answer fails its request with the size and the limit, and the stream carries on', async () => {
    const { input, transport, seen } = await open({ maxLineBytes: 64 });
    const answer = ['{"result":{"content":[{"type":"text","text":"' + 'x'.repeat(40), 'x'.repeat(4000) + '"}]},"jsonrpc":"2.0","id":7}'];
    input.write(answer[0]);
    input.write(`${answer[1]}\n`);
    input.write('{"jsonrpc":"2.0","id":8,"result":{}}\n');
    await tick();
    const [failed, next] = seen.messages as { id: number; error?: { data?: unknown } }[];
    assert.equal(failed?.id, 7);
    assert.ok(isOversizedMessage(failed?.error?.data));
    assert.deepEqual(failed?.error?.data, { oversizedMessage: { bytes: Buffer.byteLength(answer.join('')), limitBytes: 64 } });
    assert.deepEqual(next, { jsonrpc: '2.0', id: 8, result: {} }, 'the next message is read as usual');
    assert.equal(transport.isClosed, false);
    assert.deepEqual(seen.errors, []);
  });

  it('skips and counts an oversized line that is not an answer (a request of the provider, a log line)', async () => {
    const { input, transport, seen } = await open({ maxLineBytes: 64 });
    const request = '{"jsonrpc":"2.0","method":"sampling/createMessage","params":{"x":"' + 'y'.repeat(500) + '"},"id":7}';
    input.write(`${request}\n`);
    input.write('z'.repeat(500) + '\n');
    await tick();
    assert.deepEqual(seen.messages, [], 'its id is the provider’s own: it fails none of ours');
    assert.equal(transport.skippedLines, 2);
    assert.ok(transport.lastSkippedLines()[0]?.startsWith(`[a line of ${request.length} bytes, over the limit of 64, was dropped]`));
  });

  it('drains its input after close, so that a provider being stopped never blocks on a full pipe', async () => {
    const { input, transport } = await open({ maxLineBytes: 64 });
    await transport.close();
    for (let i = 0; i < 64; i++) input.write('y'.repeat(64 * 1024));
    await tick();
    assert.equal(input.readableLength, 0);
  });

  it('read_failed with the stream error', async () => {
    const { input, transport, seen } = await open();
    input.destroy(new Error('EIO: i/o error'));
    await tick();
    assert.deepEqual(transport.closeReason, { kind: 'read_failed', message: 'EIO: i/o error' });
    assert.deepEqual(seen.errors, ['EIO: i/o error']);
    assert.equal(seen.closes, 1);
  });

  it('write_failed with the stream error, and later sends are refused', async () => {
    const output = new Writable({ write: (_chunk, _encoding, callback) => callback(new Error('EPIPE: broken pipe')) });
    const { transport } = await open({ output });
    await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await tick();
    assert.deepEqual(transport.closeReason, { kind: 'write_failed', message: 'EPIPE: broken pipe' });
    await assert.rejects(transport.send({ jsonrpc: '2.0', method: 'ping', id: 1 }), /session is closed/);
  });

  it('no reason when the hangar closes it, and the provider sees its input end', async () => {
    const { output, transport, seen } = await open();
    let ended = false;
    (output as PassThrough).on('end', () => (ended = true)).resume();
    await transport.close();
    await transport.close();
    await tick();
    assert.equal(transport.closeReason, null);
    assert.equal(seen.closes, 1);
    assert.ok(ended);
  });
});

describe('LineTransport framing', () => {
  it('skips and counts lines that are not JSON-RPC messages; blank lines are not counted', async () => {
    const { input, transport, seen } = await open();
    input.write('banner v1\n\n   \r\n{"level":"info"}\n[1,2]\n{not json\n{"jsonrpc":"2.0","id":1,"result":{}}\r\n');
    await tick();
    assert.equal(seen.messages.length, 1);
    assert.equal(transport.skippedLines, 4);
    assert.deepEqual(transport.lastSkippedLines(), ['banner v1', '{"level":"info"}', '[1,2]', '{not json']);
  });

  it('reassembles a message split across chunks, byte by byte through a multi-byte character', async () => {
    const { input, seen } = await open();
    const line = Buffer.from('{"jsonrpc":"2.0","id":7,"result":{"text":"żółw 🐢"}}\n');
    for (const byte of line) input.write(Buffer.from([byte]));
    await tick();
    assert.deepEqual(seen.messages, [{ jsonrpc: '2.0', id: 7, result: { text: 'żółw 🐢' } }]);
  });

  it('delivers a response one microtask late, so that a notification just before it in the same chunk is handled first', async () => {
    const { input, transport } = await open();
    const order: string[] = [];
    transport.onmessage = (m) => {
      order.push('method' in m ? 'notification' : 'response');
      if ('method' in m) queueMicrotask(() => order.push('notification handled'));
    };
    // The SDK handles a notification one microtask after onmessage, a response at once: mimicked here.
    input.write('{"jsonrpc":"2.0","method":"notifications/progress","params":{}}\n{"jsonrpc":"2.0","id":1,"result":{}}\n');
    await tick();
    assert.deepEqual(order, ['notification', 'notification handled', 'response']);
  });
});

describe('describeCloseReason', () => {
  const cases: [StreamCloseReason, string, boolean][] = [
    [{ kind: 'stdout_closed' }, 'the provider closed its stdout', false],
    [{ kind: 'read_failed', message: 'EIO' }, "reading the provider's stdout failed: EIO", true],
    [{ kind: 'write_failed', message: 'EPIPE' }, "writing to the provider's stdin failed: EPIPE", true],
  ];
  for (const [reason, words, broke] of cases) {
    it(`${reason.kind}: "${words}"${broke ? ', a broken stream' : ', not a broken stream'}`, () => {
      assert.equal(describeCloseReason(reason), words);
      assert.equal(streamBroke(reason), broke);
    });
  }
});
