import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InvocationPage, InvocationRecord } from '../../../src/application/ports/invocation-audit.js';
import type { InstanceId, ProviderId } from '../../../src/domain/shared/ids.js';
import { auditPageDto, formatInvocations, invocationsCsv } from '../../../src/interfaces/shared/audit.js';
import { readCsv } from '../../support/csv.js';

const record = (overrides: Partial<InvocationRecord>): InvocationRecord => ({
  position: 12,
  occurredAt: '2026-03-07T12:00:00.000Z',
  provider: 'math' as ProviderId,
  instance: '1' as InstanceId,
  tool: 'add',
  outcome: 'success',
  durationMs: 1.25,
  caller: null,
  correlationId: '01a230e1-10c6-7258-93b0-1c572d33e0d3',
  arguments: null,
  argumentsDigest: '0123456789abcdef0123456789abcdef',
  ...overrides,
});

const page: InvocationPage = {
  invocations: [
    record({
      position: 1040,
      tool: 'search',
      outcome: 'timeout',
      durationMs: 30000,
      caller: 'alice',
      arguments: { json: '{"q":"a, \\"b\\"\\nc","n":2}', truncated: false, bytes: 24 },
    }),
    record({ instance: null, arguments: { json: `{"text":"${'x'.repeat(100)}`, truncated: true, bytes: 4200 } }),
    record({ position: 3, argumentsDigest: null, correlationId: null }),
  ],
  nextBefore: 3,
};

describe('audit output', () => {
  it('writes CSV by RFC 4180: quoted fields where needed, quotes doubled, CRLF after every record', () => {
    const csv = invocationsCsv(page);
    const records = readCsv(csv);
    assert.deepEqual(records[0], [
      'position',
      'occurred_at',
      'provider',
      'instance',
      'tool',
      'outcome',
      'duration_ms',
      'caller',
      'correlation_id',
      'arguments',
      'arguments_truncated',
      'arguments_bytes',
      'arguments_digest',
    ]);
    assert.deepEqual(records[1], [
      '1040',
      '2026-03-07T12:00:00.000Z',
      'math',
      '1',
      'search',
      'timeout',
      '30000',
      'alice',
      '01a230e1-10c6-7258-93b0-1c572d33e0d3',
      '{"q":"a, \\"b\\"\\nc","n":2}',
      'false',
      '24',
      '0123456789abcdef0123456789abcdef',
    ]);
    assert.ok(csv.includes('"{""q"":""a, \\""b\\""\\nc"",""n"":2}"'), 'the arguments field is quoted, its quotes doubled');
    assert.deepEqual(records[2]?.slice(3, 4), ['']);
    assert.deepEqual(records[3]?.slice(8), ['', '', '', '', '']);
    assert.equal(records.length, 4);
  });

  it('prints an aligned table, newest first, the arguments cut to fit and the digest where none were recorded', () => {
    const lines = formatInvocations(page).split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0] as string, /^POSITION\s+TIME\s+PROVIDER\s+TOOL\s+OUTCOME\s+DURATION\s+CALLER\s+CORRELATION ID\s+ARGUMENTS$/);
    const column = (name: string) => (lines[0] as string).indexOf(name);
    for (const line of lines.slice(1)) {
      assert.equal(line.indexOf('2026-03-07T12:00:00.000Z'), column('TIME'), line);
    }
    assert.match(lines[1] as string, /^#1040\s+\S+\s+math@1\s+search\s+timeout\s+30000 ms\s+alice\s+01a230e1-\S+\s+\{"q":"a, \\"b\\"\\nc","n":2\}$/);
    assert.match(lines[2] as string, /^#12 .* math {3,}add .* 1\.3 ms\s+-\s+\S+\s+\{"text":"x{70}…$/);
    assert.match(lines[3] as string, /\s-\s+-$/, 'neither arguments nor digest');
    assert.match(formatInvocations({ invocations: [record({})], nextBefore: null }), /digest 0123456789ab$/);
    assert.equal(formatInvocations({ invocations: [], nextBefore: null }), 'No recorded tool calls match.');
  });

  it('gives the rows in wire shape with the next cursor', () => {
    const dto = auditPageDto(page);
    assert.equal(dto.next_before, 3);
    assert.deepEqual(dto.invocations[0], {
      position: 1040,
      occurred_at: '2026-03-07T12:00:00.000Z',
      provider: 'math',
      instance: '1',
      tool: 'search',
      outcome: 'timeout',
      duration_ms: 30000,
      caller: 'alice',
      correlation_id: '01a230e1-10c6-7258-93b0-1c572d33e0d3',
      arguments: { json: '{"q":"a, \\"b\\"\\nc","n":2}', truncated: false, bytes: 24 },
      arguments_digest: '0123456789abcdef0123456789abcdef',
    });
  });
});
