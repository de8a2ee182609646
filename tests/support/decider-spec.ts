import assert from 'node:assert/strict';
import { fold, type Decider } from '../../src/domain/shared/decider.js';

/**
 * given(events).when(command).then(events) — or .thenThrows(code) — over a pure decider.
 */
export const deciderSpec = <C, E, S>(decider: Decider<C, E, S>) => ({
  given: (events: readonly E[]) => ({
    when: (command: C) => {
      const run = () => decider.decide(command, fold(decider, events));
      return {
        then: (expected: readonly E[]) => assert.deepEqual(run(), expected),
        thenNothing: () => assert.deepEqual(run(), []),
        thenThrows: (code: string, messagePart?: string) =>
          assert.throws(run, (e: unknown) => {
            const error = e as { code?: string; message?: string };
            assert.equal(error.code, code);
            if (messagePart) assert.match(error.message ?? '', new RegExp(messagePart));
            return true;
          }),
        /** The events, for assertions the other forms cannot express. */
        events: run,
      };
    },
  }),
});
