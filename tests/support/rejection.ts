import assert from 'node:assert/strict';
import { isDomainError, type DomainError } from '../../src/domain/shared/errors.js';

/** The DomainError `work` rejects with; fails the test when it resolves, or rejects with anything else. */
export const rejection = async (work: Promise<unknown>): Promise<DomainError> => {
  try {
    await work;
  } catch (error) {
    assert.ok(isDomainError(error), `expected a DomainError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
};

/** The DomainError `work` throws; fails the test when it returns, or throws anything else. */
export const thrown = (work: () => unknown): DomainError => {
  try {
    work();
  } catch (error) {
    assert.ok(isDomainError(error), `expected a DomainError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a throw');
};
