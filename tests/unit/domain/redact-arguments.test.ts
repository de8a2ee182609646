import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSecretKey, keyWords, recordedArguments, redactArguments, REDACTED } from '../../../src/domain/audit/redact-arguments.js';
import { utf8Bytes, utf8Prefix } from '../../../src/domain/shared/utf8.js';

describe('keyWords', () => {
  const cases: readonly (readonly [string, readonly string[]])[] = [
    ['api_key', ['api', 'key']],
    ['apiKey', ['api', 'key']],
    ['APIKey', ['api', 'key']],
    ['X-API-KEY', ['x', 'api', 'key']],
    ['X-Api-Key', ['x', 'api', 'key']],
    ['GITHUB_TOKEN', ['github', 'token']],
    ['secretAccessKey', ['secret', 'access', 'key']],
    ['password2', ['password', '2']],
    ['oauth2Token', ['oauth', '2', 'token']],
    ['db.password', ['db', 'password']],
    ['  spaced  out ', ['spaced', 'out']],
    ['clé_privée', ['clé', 'privée']],
    ['', []],
    ['___', []],
  ];
  for (const [key, words] of cases) {
    it(`${JSON.stringify(key)} → ${words.join(' ') || '(none)'}`, () => assert.deepEqual(keyWords(key), words));
  }

  it('is linear on a long run of capitals (no backtracking)', () => {
    const started = performance.now();
    assert.deepEqual(keyWords('A'.repeat(200_000)), ['a'.repeat(200_000)]);
    assert.ok(performance.now() - started < 1000);
  });
});

describe('isSecretKey', () => {
  const secret = [
    // the words named by the issue, alone and in any case
    'token',
    'password',
    'passwd',
    'secret',
    'key',
    'api_key',
    'apikey',
    'access_token',
    'refresh_token',
    'authorization',
    'auth',
    'credential',
    'credentials',
    'private_key',
    'client_secret',
    'cookie',
    'session',
    'TOKEN',
    'Password',
    'PASSWD',
    // separators, camelCase, header spellings
    'api-key',
    'apiKey',
    'ApiKey',
    'APIKey',
    'APIKEY',
    'X-Api-Key',
    'x-api-key',
    'X-API-KEY',
    'Authorization',
    'Proxy-Authorization',
    'X-Auth-Token',
    'Set-Cookie',
    'accessToken',
    'access.token',
    // as a suffix, or qualified
    'github_token',
    'GITHUB_TOKEN',
    'authToken',
    'accesstoken',
    'db_password',
    'dbPassword',
    'userPassword',
    'new_password',
    'password_confirmation',
    'passwordHash',
    'password2',
    'passphrase',
    'pwd',
    'secret_key',
    'secretKey',
    'secretAccessKey',
    'aws_secret_access_key',
    'aws_access_key_id',
    'sshKey',
    'ssh_key',
    'ssh_keys',
    'apiKeys',
    'privatekeys',
    'signing_key',
    'encryptionKey',
    'key1',
    'api_key_2',
    'refresh_tokens',
    'clientSecret',
    'appSecret',
    'secrets',
    'basic_auth',
    'oauth',
    'OAuth2',
    'auth_header',
    'bearer',
    'bearerToken',
    'session_id',
    'sessionId',
    'user_session',
    'JSESSIONID',
    'PHPSESSID',
    'session_key',
    'cookies',
    'aws_credentials',
    'passkey',
    'credential_json',
    // erring towards secrecy, as documented
    'token_count',
    'primary_key',
    'public_key',
    'sort_key',
    'auth_method',
  ];
  const notSecret = [
    'keyboard',
    'monkey',
    'keys',
    'hotkey',
    'turkey',
    'key_name',
    'keyName',
    'key_id',
    'keyword',
    'tokens',
    'max_tokens',
    'maxTokens',
    'tokenizer',
    'author',
    'authority',
    'authors',
    'is_authenticated',
    'session_timeout',
    'sessionName',
    'sessions',
    'bypass',
    'compass',
    'passenger',
    'cwd',
    'query',
    'path',
    'a',
    '',
    '0',
    'turnkey_solution',
  ];
  for (const key of secret) it(`${JSON.stringify(key)} is secret`, () => assert.equal(isSecretKey(key), true));
  for (const key of notSecret) it(`${JSON.stringify(key)} is not`, () => assert.equal(isSecretKey(key), false));
});

describe('redactArguments', () => {
  const cases: readonly { readonly name: string; readonly args: unknown; readonly expected: unknown }[] = [
    { name: 'nothing to redact', args: { a: 1, b: 'two', c: [true, null] }, expected: { a: 1, b: 'two', c: [true, null] } },
    { name: 'a top-level secret', args: { query: 'x', api_key: 'k-123' }, expected: { query: 'x', api_key: REDACTED } },
    {
      name: 'at any depth, inside arrays too',
      args: {
        config: { db: { password: 'p', host: 'h' } },
        users: [
          { name: 'a', token: 't1' },
          { name: 'b', token: 't2' },
        ],
      },
      expected: {
        config: { db: { password: REDACTED, host: 'h' } },
        users: [
          { name: 'a', token: REDACTED },
          { name: 'b', token: REDACTED },
        ],
      },
    },
    {
      name: 'a whole object or list under a secret key',
      args: { credentials: { user: 'u', pass: 'p' }, api_keys: ['k1', 'k2'], auth: { nested: { deep: 1 } } },
      expected: { credentials: REDACTED, api_keys: REDACTED, auth: REDACTED },
    },
    { name: 'numbers under a secret key', args: { pin_token: 123456 }, expected: { pin_token: REDACTED } },
    {
      name: 'null and booleans under a secret key are kept (they carry no secret)',
      args: { token: null, use_auth: true, password: false },
      expected: { token: null, use_auth: true, password: false },
    },
    {
      name: 'header spellings',
      args: { headers: { Authorization: 'Bearer abc', 'X-Api-Key': 'xyz', Accept: 'application/json' } },
      expected: { headers: { Authorization: REDACTED, 'X-Api-Key': REDACTED, Accept: 'application/json' } },
    },
    {
      name: 'secrets inside other strings: token formats, Bearer credentials, key=value',
      args: {
        command: 'curl -H "Authorization: Bearer abcdefgh12345678" https://x',
        note: 'use ghp_0123456789abcdefghijABCDEFGHIJ0123 please',
        dsn: 'host=db password=hunter2 port=5432',
        list: ['sk-abcdefghijklmnop1234'],
      },
      expected: {
        command: `curl -H "Authorization: Bearer ${REDACTED}" https://x`,
        note: `use ${REDACTED} please`,
        dsn: `host=db password=${REDACTED} port=5432`,
        list: [REDACTED],
      },
    },
    {
      name: 'a key that only looks close is kept',
      args: { keyboard: 'qwerty', monkey: 'see', keys: ['a', 'b'], max_tokens: 10 },
      expected: { keyboard: 'qwerty', monkey: 'see', keys: ['a', 'b'], max_tokens: 10 },
    },
    { name: 'an empty object', args: {}, expected: {} },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(JSON.parse(redactArguments(c.args)), c.expected));
  }

  it('is exactly JSON.stringify when nothing is redacted (so the digest of the record equals the digest of the arguments)', () => {
    const args = { a: 1, text: 'ünïcødé 😀', nested: { list: [1, 'two', { three: 3 }] }, '-0': -0, big: 1e21 };
    assert.equal(redactArguments(args), JSON.stringify(args));
  });

  it('does not change its input', () => {
    const args = { user: 'me', password: 'p', deep: { token: 't', list: [{ secret: 's' }] } };
    const copy = structuredClone(args);
    redactArguments(args);
    assert.deepEqual(args, copy);
  });

  it('keeps a __proto__ key as data, redacting beneath it', () => {
    const args = JSON.parse('{"__proto__":{"token":"t","x":1}}') as unknown;
    assert.equal(redactArguments(args), `{"__proto__":{"token":"${REDACTED}","x":1}}`);
  });
});

describe('recordedArguments: cut at max bytes on a UTF-8 boundary', () => {
  it('keeps a JSON text that fits, whole', () => {
    assert.deepEqual(recordedArguments('{"a":1}', 64), { json: '{"a":1}', truncated: false, bytes: 7 });
    assert.deepEqual(recordedArguments('{"a":1}', 7), { json: '{"a":1}', truncated: false, bytes: 7 });
  });

  it('cuts a longer one to max bytes and records the whole size', () => {
    const json = JSON.stringify({ text: 'x'.repeat(200) });
    const recorded = recordedArguments(json, 64);
    assert.equal(recorded.truncated, true);
    assert.equal(recorded.bytes, json.length);
    assert.equal(recorded.json, json.slice(0, 64));
  });

  it('never splits a character: 2-, 3- and 4-byte characters are kept whole or left out', () => {
    for (const char of ['é', '€', '😀']) {
      const json = JSON.stringify({ t: char.repeat(40) });
      const size = utf8Bytes(char);
      for (let max = 64; max < 64 + size; max++) {
        const recorded = recordedArguments(json, max);
        assert.equal(recorded.truncated, true);
        assert.equal(recorded.bytes, Buffer.byteLength(json));
        const bytes = Buffer.byteLength(recorded.json);
        assert.ok(bytes <= max && bytes > max - size, `${char} at ${max}: ${bytes} bytes`);
        assert.ok(json.startsWith(recorded.json));
        assert.equal(Buffer.from(recorded.json, 'utf8').toString('utf8'), recorded.json, 'well-formed: no lone surrogate');
      }
    }
  });

  it('utf8Prefix agrees with Buffer on mixed text', () => {
    const text = 'aé€😀'.repeat(20);
    for (let max = 0; max <= Buffer.byteLength(text); max++) {
      const prefix = utf8Prefix(text, max);
      assert.ok(Buffer.byteLength(prefix) <= max);
      assert.ok(text.startsWith(prefix));
      const next = text.slice(prefix.length, prefix.length + (text.codePointAt(prefix.length)! > 0xffff ? 2 : 1));
      if (prefix.length < text.length) assert.ok(Buffer.byteLength(prefix) + Buffer.byteLength(next) > max, `longest at ${max}`);
    }
  });
});
