import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnknownInvocationCursor, type InvocationAudit, type InvocationFilter } from '../../../src/application/ports/invocation-audit.js';
import { auditFilter, auditInvocations, parseAuditTime, parseOutcomeFilter } from '../../../src/application/queries/audit-invocations.js';
import { DomainError } from '../../../src/domain/shared/errors.js';

describe('audit query values', () => {
  const times: readonly [string, string | undefined][] = [
    ['2026-03-07', '2026-03-07T00:00:00.000Z'],
    ['2026-03-07T12:30', '2026-03-07T12:30:00.000Z'],
    ['2026-03-07 12:30:15', '2026-03-07T12:30:15.000Z'],
    ['2026-03-07T12:30:15.250Z', '2026-03-07T12:30:15.250Z'],
    ['2026-03-07T12:30:00+02:00', '2026-03-07T10:30:00.000Z'],
    ['2026-03-07T12:30:00-0130', '2026-03-07T14:00:00.000Z'],
    ['  2026-03-07 ', '2026-03-07T00:00:00.000Z'],
    ['2026-02-30', undefined],
    ['2026-13-01', undefined],
    ['2026-03-07T25:00', undefined],
    ['1', undefined],
    ['yesterday', undefined],
    ['March 7, 2026', undefined],
    ['', undefined],
  ];
  for (const [text, expected] of times) {
    it(`reads the time '${text}' as ${expected ?? 'not a time'}`, () => assert.equal(parseAuditTime(text), expected));
  }

  it('reads outcomes in either case, and failed; nothing else', () => {
    assert.equal(parseOutcomeFilter('success'), 'success');
    assert.equal(parseOutcomeFilter('TIMEOUT'), 'timeout');
    assert.equal(parseOutcomeFilter('Provider_Crashed'), 'provider_crashed');
    assert.equal(parseOutcomeFilter('failed'), 'failed');
    assert.equal(parseOutcomeFilter('error'), undefined);
    assert.equal(parseOutcomeFilter('succes'), undefined);
  });

  const refused: readonly [string, Parameters<typeof auditFilter>[0], RegExp][] = [
    ['a time that does not parse', { since: 'last tuesday' }, /since 'last tuesday' is not an ISO date or time/],
    ['until not after since', { since: '2026-03-07', until: '2026-03-07' }, /until .* must be later than since/],
    ['an unknown outcome', { outcome: 'exploded' }, /unknown outcome 'exploded'; one of: success, tool_error, .*timeout.*, failed/],
    ['a limit of 0', { limit: 0 }, /limit must be a whole number from 1 to 10000, got 0/],
    ['a limit over the maximum', { limit: 10_001 }, /from 1 to 10000, got 10001/],
    ['a fractional limit', { limit: 1.5 }, /got 1.5/],
    ['a cursor that is no position', { before: 0 }, /before must be a global position/],
    ['a provider that is no provider id', { provider: '9lives' }, /'9lives' is not a provider id/],
  ];
  for (const [what, query, message] of refused) {
    it(`refuses ${what} with INVALID_ARGUMENTS`, () =>
      assert.throws(
        () => auditFilter(query),
        (e: unknown) => e instanceof DomainError && e.code === 'INVALID_ARGUMENTS' && message.test(e.message),
      ));
  }

  it('makes a filter of the values: canonical times, lower-case outcome, the default limit', () => {
    assert.deepEqual(
      auditFilter({ provider: 'math', since: '2026-03-07', until: '2026-03-08', outcome: 'TIMEOUT', correlationId: 'c', caller: 'alice', before: 9 }),
      {
        provider: 'math',
        tool: undefined,
        since: '2026-03-07T00:00:00.000Z',
        until: '2026-03-08T00:00:00.000Z',
        outcome: 'timeout',
        correlationId: 'c',
        caller: 'alice',
        before: 9,
        limit: 100,
      },
    );
  });

  it('hands the filter to the read model, and words a cursor that names no call as INVALID_ARGUMENTS', async () => {
    const asked: InvocationFilter[] = [];
    const audit: InvocationAudit = {
      invocations: async (filter) => {
        asked.push(filter);
        if (filter.before === 7) throw new UnknownInvocationCursor(7);
        return { invocations: [], nextBefore: null };
      },
    };
    const query = auditInvocations(audit);
    assert.deepEqual(await query({ tool: 'add', limit: 5 }), { invocations: [], nextBefore: null });
    assert.deepEqual([asked[0]?.tool, asked[0]?.limit], ['add', 5]);
    await assert.rejects(query({ before: 7 }), (e: unknown) => e instanceof DomainError && e.code === 'INVALID_ARGUMENTS' && /position 7/.test(e.message));
    await assert.rejects(query({ outcome: 'nope' }), (e: unknown) => e instanceof DomainError && e.code === 'INVALID_ARGUMENTS');
    assert.equal(asked.length, 2, 'a bad value never reaches the read model');
  });
});
