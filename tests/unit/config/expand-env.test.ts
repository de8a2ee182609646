import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expandEnv, expandString } from '../../../src/infrastructure/config/expand-env.js';

describe('expandString', () => {
  const env = { HOME: '/home/ada', EMPTY: '', USER: 'ada' };

  it('replaces each ${NAME} with its value, an empty value included', () => {
    assert.deepEqual(expandString('${HOME}/x-${USER}${EMPTY}', env), { value: '/home/ada/x-ada', errors: [], used: ['/home/ada', 'ada', ''] });
  });

  it('keeps $${ as a literal ${ and any other $ as written', () => {
    assert.deepEqual(expandString('$${HOME} costs $5 and pa$$word $HOME', env), { value: '${HOME} costs $5 and pa$$word $HOME', errors: [], used: [] });
  });

  it('names a missing variable and leaves its reference in place', () => {
    assert.deepEqual(expandString('a ${NOPE} b ${HOME}', env), {
      value: 'a ${NOPE} b /home/ada',
      errors: ["environment variable 'NOPE' is not set"],
      used: ['/home/ada'],
    });
  });

  it('refuses malformed and unclosed references', () => {
    assert.match(expandString('${1BAD}', env).errors[0] ?? '', /invalid variable reference '\$\{1BAD\}'/);
    assert.match(expandString('${HOME', env).errors[0] ?? '', /unclosed or nested/);
  });
});

describe('expandEnv', () => {
  it('expands string values at any depth, not keys, and reports each problem with its path', () => {
    const result = expandEnv({ '${K}': 'v', list: [1, '${A}', { deep: '${MISSING}' }], flag: true }, { A: 'a' });
    assert.deepEqual(result.value, { '${K}': 'v', list: [1, 'a', { deep: '${MISSING}' }], flag: true });
    assert.deepEqual(result.problems, [{ path: ['list', 2, 'deep'], at: 'value', message: "environment variable 'MISSING' is not set" }]);
  });
});
