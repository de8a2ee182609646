import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import type { Logger } from '../../../src/application/ports/logger.js';
import { createAuthenticator, type AuthResult } from '../../../src/interfaces/http/auth.js';
import { authConfigured, isLoopbackHost } from '../../../src/interfaces/http/auth-required.js';

const TOKEN = 'a-static-token-of-32-characters!';
const OTHER = 'another-static-token-0123456789';
const ISSUER = 'https://issuer.example.com';
const AUDIENCE = 'https://hangar.example.com/mcp';
const RESOURCE = 'https://hangar.example.com/mcp';
const METADATA = 'https://hangar.example.com/.well-known/oauth-protected-resource';

const request = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } });
const refused = (result: AuthResult) => {
  assert.equal(result.ok, false, 'refused');
  return result as Extract<AuthResult, { ok: false }>;
};
/** Everything a refusal sends, as one string: no token may appear in it. */
const sent = (result: AuthResult) => JSON.stringify(result);

/** A logger that keeps what it is told. */
const recordingLogger = () => {
  const lines: { message: string; fields: Record<string, unknown> | undefined }[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (message, fields) => lines.push({ message, fields }),
    error: (message, fields) => lines.push({ message, fields }),
    child: () => logger,
  };
  return { logger, lines };
};

describe('createAuthenticator: static bearer tokens', () => {
  const auth = createAuthenticator(
    {
      tokens: [
        { name: 'ci', value: TOKEN },
        { name: 'laptop', value: OTHER },
      ],
    },
    { resourceUrl: RESOURCE },
  );

  it('accepts a configured token and names its caller', async () => {
    assert.deepEqual(await auth.authenticate(request(`Bearer ${TOKEN}`)), { ok: true, caller: 'ci' });
    assert.deepEqual(await auth.authenticate(request(`Bearer ${OTHER}`)), { ok: true, caller: 'laptop' });
    assert.deepEqual(await auth.authenticate(request(`bearer   ${OTHER} `)), { ok: true, caller: 'laptop' }, 'the scheme is case-insensitive');
  });

  it('refuses a wrong token with 401 invalid_token, echoing nothing of it', async () => {
    const wrong = 'x'.repeat(40);
    const result = refused(await auth.authenticate(request(`Bearer ${wrong}`)));
    assert.equal(result.status, 401);
    assert.equal(result.headers['WWW-Authenticate'], 'Bearer error="invalid_token", error_description="not a known token"');
    assert.ok(!sent(result).includes(wrong));
  });

  it('compares tokens of any length without throwing (digests of equal length)', async () => {
    for (const token of ['a', TOKEN.slice(0, -1), `${TOKEN}x`, 'y'.repeat(4096)]) {
      const result = refused(await auth.authenticate(request(`Bearer ${token}`)));
      assert.equal(result.status, 401);
    }
  });

  it('answers a request without credentials with 401 and a bare Bearer challenge', async () => {
    for (const req of [request(), request(''), { headers: {} }]) {
      const result = refused(await auth.authenticate(req));
      assert.equal(result.status, 401);
      assert.deepEqual(result.headers, { 'WWW-Authenticate': 'Bearer' });
      assert.equal((result.body as { error: string }).error, 'unauthorized');
      assert.match((result.body as { message: string }).message, /^send Authorization: Bearer <token>/);
    }
  });

  it('answers another scheme with the bare challenge, and a malformed Bearer header with 400 invalid_request', async () => {
    const basic = refused(await auth.authenticate(request(`Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`)));
    assert.equal(basic.status, 401);
    assert.deepEqual(basic.headers, { 'WWW-Authenticate': 'Bearer' });
    for (const header of ['Bearer', 'Bearer ', `Bearer ${TOKEN} ${OTHER}`, `Bearer ${TOKEN}\u00e9`]) {
      const result = refused(await auth.authenticate(request(header)));
      assert.equal(result.status, 400, header);
      assert.match(result.headers['WWW-Authenticate'] ?? '', /^Bearer error="invalid_request"/);
      assert.ok(!sent(result).includes(TOKEN));
    }
  });

  it('has no metadata document without JWTs', () => {
    assert.equal(auth.wellKnown, undefined);
    assert.equal(auth.wellKnownPaths, undefined);
  });
});

describe('createAuthenticator: JWTs from a JWKS', () => {
  let server: Server;
  let jwksUrl: string;
  let key: CryptoKey;
  let stranger: CryptoKey;
  let jwksRequests = 0;

  before(async () => {
    const pair = await generateKeyPair('RS256');
    key = pair.privateKey;
    stranger = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = createServer((req, res) => {
      jwksRequests++;
      if (req.url === '/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      } else {
        res.writeHead(500).end('internal detail: db password=hunter22');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const sign = (claims: JWTPayload, options: { issuer?: string; audience?: string; expiresIn?: string | number; with?: CryptoKey } = {}) => {
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuedAt()
      .setIssuer(options.issuer ?? ISSUER)
      .setAudience(options.audience ?? AUDIENCE);
    if (options.expiresIn !== undefined) jwt.setExpirationTime(options.expiresIn);
    else jwt.setExpirationTime('10m');
    return jwt.sign(options.with ?? key);
  };
  const authenticator = (logger?: Logger, url = jwksUrl) =>
    createAuthenticator(
      { tokens: [{ name: 'ci', value: TOKEN }], jwt: { issuer: ISSUER, audience: AUDIENCE, jwksUrl: url } },
      { resourceUrl: RESOURCE, ...(logger ? { logger } : {}) },
    );
  const challengeOf = (description: string) => `Bearer error="invalid_token", error_description="${description}", resource_metadata="${METADATA}"`;

  it('accepts a valid JWT; the caller is its sub, else client_id, else azp', async () => {
    const auth = authenticator();
    assert.deepEqual(await auth.authenticate(request(`Bearer ${await sign({ sub: 'alice' })}`)), { ok: true, caller: 'alice' });
    assert.deepEqual(await auth.authenticate(request(`Bearer ${await sign({ client_id: 'agent-7' })}`)), { ok: true, caller: 'agent-7' });
    assert.deepEqual(await auth.authenticate(request(`Bearer ${await sign({ azp: 'cli' })}`)), { ok: true, caller: 'cli' });
    const nobody = refused(await auth.authenticate(request(`Bearer ${await sign({})}`)));
    assert.equal(nobody.headers['WWW-Authenticate'], challengeOf('the token names no subject (sub, client_id or azp)'));
  });

  it("refuses a JWT whose subject is a static token's name: callers share one namespace", async () => {
    const result = refused(await authenticator().authenticate(request(`Bearer ${await sign({ sub: 'ci' })}`)));
    assert.equal(result.status, 401);
    assert.equal(result.headers['WWW-Authenticate'], challengeOf('the token names a subject that is also the name of a static token'));
  });

  it('still accepts the static tokens, without fetching the JWKS', async () => {
    const before = jwksRequests;
    assert.deepEqual(await authenticator().authenticate(request(`Bearer ${TOKEN}`)), { ok: true, caller: 'ci' });
    assert.equal(jwksRequests, before);
  });

  it('refuses an expired JWT', async () => {
    const token = await sign({ sub: 'alice' }, { expiresIn: Math.floor(Date.now() / 1000) - 3600 });
    const result = refused(await authenticator().authenticate(request(`Bearer ${token}`)));
    assert.equal(result.status, 401);
    assert.equal(result.headers['WWW-Authenticate'], challengeOf('the token has expired'));
    assert.deepEqual(result.body, { error: 'invalid_token', message: 'the token has expired' });
    assert.ok(!sent(result).includes(token));
  });

  it('checks expiry against the clock it is given', async () => {
    const token = await sign({ sub: 'alice' }, { expiresIn: '10m' });
    const later = { now: () => Date.now() + 3600_000 };
    const auth = createAuthenticator({ tokens: [], jwt: { issuer: ISSUER, audience: AUDIENCE, jwksUrl } }, { resourceUrl: RESOURCE, clock: later });
    assert.equal(refused(await auth.authenticate(request(`Bearer ${token}`))).headers['WWW-Authenticate'], challengeOf('the token has expired'));
  });

  it('refuses a JWT for another audience', async () => {
    const result = refused(await authenticator().authenticate(request(`Bearer ${await sign({ sub: 'alice' }, { audience: 'https://other.example.com' })}`)));
    assert.equal(result.status, 401);
    assert.equal(result.headers['WWW-Authenticate'], challengeOf(`the token's audience is not ${AUDIENCE}`));
  });

  it('refuses a JWT from another issuer', async () => {
    const result = refused(await authenticator().authenticate(request(`Bearer ${await sign({ sub: 'alice' }, { issuer: 'https://evil.example.com' })}`)));
    assert.equal(result.status, 401);
    assert.equal(result.headers['WWW-Authenticate'], challengeOf(`the token's issuer is not ${ISSUER}`));
  });

  it('refuses a JWT signed by another key', async () => {
    const result = refused(await authenticator().authenticate(request(`Bearer ${await sign({ sub: 'alice' }, { with: stranger })}`)));
    assert.equal(result.status, 401);
    assert.equal(result.headers['WWW-Authenticate'], challengeOf('the token signature does not verify'));
  });

  it('refuses a token that is neither configured nor a JWT, and points at the metadata when there is no header', async () => {
    const auth = authenticator();
    const wrong = refused(await auth.authenticate(request('Bearer not-a-jwt-and-not-a-token')));
    assert.equal(wrong.headers['WWW-Authenticate'], challengeOf('not a known token nor a well-formed JWT'));
    const none = refused(await auth.authenticate(request()));
    assert.equal(none.status, 401);
    assert.equal(none.headers['WWW-Authenticate'], `Bearer resource_metadata="${METADATA}"`);
  });

  it('answers 503 with Retry-After when the JWKS cannot be fetched, and logs why without the token', async () => {
    const { logger, lines } = recordingLogger();
    const token = await sign({ sub: 'alice' });
    const broken = authenticator(logger, jwksUrl.replace('/jwks.json', '/missing'));
    const result = refused(await broken.authenticate(request(`Bearer ${token}`)));
    assert.equal(result.status, 503);
    assert.deepEqual(result.headers, { 'Retry-After': '5' });
    assert.equal((result.body as { error: string }).error, 'auth_unavailable');
    assert.ok(!sent(result).includes('500') && !sent(result).includes('hunter22') && !sent(result).includes(token));
    assert.equal(lines.length, 1);
    assert.match(String(lines[0]?.fields?.['cause']), /Expected 200 OK/);
    assert.ok(!JSON.stringify(lines).includes(token));

    const unreachable = authenticator(logger, 'http://127.0.0.1:1/jwks.json');
    assert.equal(refused(await unreachable.authenticate(request(`Bearer ${token}`))).status, 503);
  });

  it('describes itself in an RFC 9728 metadata document', () => {
    const auth = authenticator();
    assert.deepEqual(auth.wellKnown, { resource: RESOURCE, authorization_servers: [ISSUER], bearer_methods_supported: ['header'] });
    assert.deepEqual(auth.wellKnownPaths, ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']);
  });
});

describe('isLoopbackHost', () => {
  it('knows the loopback addresses and names', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '127.255.255.254', 'localhost', 'LOCALHOST', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
      assert.equal(isLoopbackHost(host), true, host);
    }
  });

  it('refuses every other host, the wildcard addresses included', () => {
    for (const host of [
      '0.0.0.0',
      '::',
      '[::]',
      '10.0.0.1',
      '128.0.0.1',
      '127.0.0.256',
      '192.168.1.10',
      'example.com',
      'localhost.example.com',
      '127.0.0.1.nip.io',
      'fe80::1%lo',
      '::2',
      '',
    ]) {
      assert.equal(isLoopbackHost(host), false, host);
    }
  });
});

describe('authConfigured', () => {
  it('is true when a token or JWTs are configured', () => {
    assert.equal(authConfigured(undefined), false);
    assert.equal(authConfigured({ tokens: [] }), false);
    assert.equal(authConfigured({ tokens: [{ name: 'token-1', value: TOKEN }] }), true);
    assert.equal(authConfigured({ tokens: [], jwt: { issuer: ISSUER, audience: AUDIENCE, jwksUrl: 'https://issuer.example.com/jwks' } }), true);
  });
});
