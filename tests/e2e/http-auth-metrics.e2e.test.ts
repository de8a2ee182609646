import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { MATH_SERVER, UNUSUAL_RESULTS_SERVER, eventually, tempDir, writeConfig, type CallResult } from '../support/hangar-harness.js';
import { connect, startHttp, type HttpHangar } from '../support/http-hangar.js';

const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-9876543210ab';
const ISSUER = 'https://issuer.example';
const AUDIENCE = 'mcp-hangar';

const invoke = (a: number) => ({ name: 'registry_invoke', arguments: { provider: 'math', tool: 'add', arguments: { a, b: 2 } } });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const initialize = (headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
  body: JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  }),
});

/** The callers recorded on the math provider's ToolInvoked events, in order. */
const callers = async (hangar: HttpHangar, token: string): Promise<(string | undefined)[]> => {
  const client = await connect(hangar, 'streamable', bearer(token));
  try {
    const history = (await client.callTool({ name: 'registry_history', arguments: { provider: 'math', types: ['ToolInvoked'], limit: 100 } })) as CallResult;
    return (history.structuredContent as { events: { caller?: string }[] }).events.map((e) => e.caller);
  } finally {
    await client.close();
  }
};

describe('HTTP mode with bearer tokens: who called is recorded, each caller has its own rate limit, metrics follow the events', { timeout: 120_000 }, () => {
  const dir = tempDir();
  let hangar: HttpHangar;
  before(async () => {
    const config = writeConfig(
      dir.path,
      `providers:\n  math:\n    command: [node, ${JSON.stringify(MATH_SERVER)}]\nhttp:\n  auth:\n    tokens: [{ name: alice, value: "\${ALICE_TOKEN}" }, { name: bob, value: "\${BOB_TOKEN}" }]\n`,
    );
    hangar = await startHttp(config, [], { ALICE_TOKEN: ALICE, BOB_TOKEN: BOB, MCP_RATE_LIMIT_RPS: '0.001', MCP_RATE_LIMIT_BURST: '3' });
  });
  after(async () => {
    await hangar?.stop();
    dir.remove();
  });

  it('refuses /mcp without a token or with a wrong one (401, WWW-Authenticate), and never echoes the token', async () => {
    const none = await fetch(`${hangar.base}/mcp`, initialize());
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    const wrong = await fetch(`${hangar.base}/mcp`, initialize(bearer('not-the-right-token-at-all')));
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers.get('www-authenticate') ?? '', /invalid_token/);
    assert.ok(!(await wrong.text()).includes('not-the-right-token-at-all'));
    assert.ok(!hangar.stderr().includes(ALICE) && !hangar.stderr().includes('not-the-right-token-at-all'), 'no token in the logs');
    assert.equal((await fetch(`${hangar.base}/health/live`)).status, 200, 'health stays open');
  });

  it('answers only requests addressed to a loopback name (DNS rebinding)', async () => {
    const port = new URL(hangar.base).port;
    const { request } = await import('node:http');
    const statusFor = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/health/live', headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    assert.equal(await statusFor(`evil.example:${port}`), 403);
    assert.equal(await statusFor(`localhost:${port}`), 200);
    assert.equal(await statusFor(`127.0.0.1:${port}`), 200);
  });

  it("records the caller's name with the events its calls cause, and limits each caller on its own", async () => {
    const alice = await connect(hangar, 'streamable', bearer(ALICE));
    const bob = await connect(hangar, 'streamable', bearer(BOB));
    try {
      const aliceResults = [];
      for (let i = 0; i < 4; i++) aliceResults.push((await alice.callTool(invoke(i))) as CallResult);
      assert.deepEqual(
        aliceResults.map((r) => r.isError === true),
        [false, false, false, true],
        "alice's burst of 3 is spent by her fourth call",
      );
      assert.match(JSON.stringify(aliceResults[3]?.structuredContent), /RATE_LIMITED/);
      const bobResult = (await bob.callTool(invoke(9))) as CallResult;
      assert.deepEqual(bobResult.structuredContent, { result: 11 }, 'bob is not throttled by alice');
    } finally {
      await alice.close();
      await bob.close();
    }
    assert.deepEqual(await callers(hangar, BOB), ['alice', 'alice', 'alice', 'bob']);
  });

  it('serves Prometheus metrics that agree with the recorded calls', async () => {
    const text = await (await fetch(`${hangar.base}/metrics`)).text();
    assert.match(text, /^mcp_hangar_tool_calls_total\{provider="math",tool="add",outcome="success"\} 4$/m);
    assert.match(text, /^mcp_hangar_tool_call_duration_seconds_count\{provider="math",tool="add"\} 4$/m);
    assert.match(text, /^mcp_hangar_provider_state\{provider="math",state="ready"\} 1$/m);
    assert.match(text, /^mcp_hangar_provider_starts_total\{provider="math"\} 1$/m);
    assert.match(text, /^mcp_hangar_rate_limited_total \d+$/m);
    assert.match(text, /^mcp_hangar_http_sessions_open \d+$/m);
    assert.match(text, /^mcp_hangar_events_appended_total\{type="ToolInvoked"\} 4$/m);
  });
});

describe('HTTP mode with JWTs: verified against the JWKS the issuer serves', { timeout: 120_000 }, () => {
  const dir = tempDir();
  let hangar: HttpHangar;
  let jwks: Server;
  let key: CryptoKey;
  let otherKey: CryptoKey;
  const token = (claims: { sub?: string; aud?: string; exp?: number }, signer = key) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(claims.aud ?? AUDIENCE)
      .setSubject(claims.sub ?? 'agent-7')
      .setIssuedAt()
      .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 600)
      .sign(signer);

  before(async () => {
    const pair = await generateKeyPair('RS256');
    key = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const port = (jwks.address() as { port: number }).port;
    const config = writeConfig(
      dir.path,
      `providers:\n  math:\n    command: [node, ${JSON.stringify(MATH_SERVER)}]\nhttp:\n  auth:\n    jwt: { issuer: "${ISSUER}", audience: ${AUDIENCE}, jwks_url: "http://127.0.0.1:${port}/jwks.json" }\n`,
    );
    hangar = await startHttp(config);
  });
  after(async () => {
    await hangar?.stop();
    jwks?.close();
    dir.remove();
  });

  it('accepts a valid JWT and records its subject as the caller', async () => {
    const client = await connect(hangar, 'streamable', bearer(await token({})));
    try {
      assert.deepEqual(((await client.callTool(invoke(1))) as CallResult).structuredContent, { result: 3 });
      const history = (await client.callTool({ name: 'registry_history', arguments: { provider: 'math', types: ['ToolInvoked'] } })) as CallResult;
      assert.deepEqual(
        (history.structuredContent as { events: { caller?: string }[] }).events.map((e) => e.caller),
        ['agent-7'],
      );
    } finally {
      await client.close();
    }
  });

  it('refuses an expired JWT, one for another audience and one signed by another key, with 401 invalid_token', async () => {
    const cases = [await token({ exp: Math.floor(Date.now() / 1000) - 3600 }), await token({ aud: 'someone-else' }), await token({}, otherKey)];
    for (const jwt of cases) {
      const response = await fetch(`${hangar.base}/mcp`, initialize(bearer(jwt)));
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate') ?? '', /invalid_token/);
      assert.match(response.headers.get('www-authenticate') ?? '', /resource_metadata=/);
    }
  });

  it('serves its protected-resource metadata, naming the issuer', async () => {
    const metadata = (await (await fetch(`${hangar.base}/.well-known/oauth-protected-resource`)).json()) as {
      resource: string;
      authorization_servers: string[];
    };
    assert.deepEqual(metadata.authorization_servers, [ISSUER]);
    assert.equal(metadata.resource, `${hangar.base}/mcp`, 'the address actually listened on, not port 0');
  });
});

describe('HTTP mode forwards a result byte for byte on the JSON path', { timeout: 60_000 }, () => {
  const dir = tempDir();
  let hangar: HttpHangar;
  before(async () => {
    const config = writeConfig(dir.path, `providers:\n  unusual:\n    command: [node, ${JSON.stringify(UNUSUAL_RESULTS_SERVER)}]\n`);
    hangar = await startHttp(config);
  });
  after(async () => {
    await hangar?.stop();
    dir.remove();
  });

  it("answers registry_invoke with one JSON response holding the provider's digits as written", async () => {
    const opened = await fetch(`${hangar.base}/mcp`, initialize());
    const session = opened.headers.get('mcp-session-id') ?? '';
    await opened.arrayBuffer();
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': session };
    const call = JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'registry_invoke', arguments: { provider: 'unusual', tool: 'big_numbers' } },
    });
    const answer = await fetch(`${hangar.base}/mcp`, { method: 'POST', headers, body: call });
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    const text = await answer.text();
    for (const digits of ['9007199254740993', '-9007199254740993', '12345678901234567890'])
      assert.ok(text.includes(digits), `${digits} in ${text.slice(0, 300)}`);
  });
});

describe('HTTP mode refuses a client over its request rate with 429 and Retry-After', { timeout: 60_000 }, () => {
  const dir = tempDir();
  let hangar: HttpHangar;
  before(async () => {
    const config = writeConfig(dir.path, `providers:\n  math:\n    command: [node, ${JSON.stringify(MATH_SERVER)}]\n`);
    // Per tool: a burst of 1; at the HTTP level ten times that per client.
    hangar = await startHttp(config, [], { MCP_RATE_LIMIT_RPS: '0.001', MCP_RATE_LIMIT_BURST: '1' });
  });
  after(async () => {
    await hangar?.stop();
    dir.remove();
  });

  it('serves ten requests of one client at once, refuses the eleventh, and keeps health open', async () => {
    // Health is not rate limited; wait until the registry has booted, so that "ready" below means the limit.
    await eventually(async () => (await fetch(`${hangar.base}/health/ready`)).status === 200, 20_000);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const response = await fetch(`${hangar.base}/mcp`, initialize());
      statuses.push(response.status);
      if (response.status === 429) assert.ok(Number(response.headers.get('retry-after')) >= 1, 'Retry-After in seconds');
      await response.arrayBuffer();
    }
    assert.deepEqual(statuses, [...Array.from({ length: 10 }, () => 200), 429]);
    assert.equal((await fetch(`${hangar.base}/health/ready`)).status, 200);
  });
});
