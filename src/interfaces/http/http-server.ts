import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isInitializeRequest, SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Application } from '../../application/application.js';
import type { HttpConfig, RateLimitConfig } from '../../application/config.js';
import { RateLimiter } from '../../application/rate-limiter.js';
import { isDomainError } from '../../domain/shared/errors.js';
import type { Logger } from '../../application/ports/logger.js';
import { isRequestId } from '../../infrastructure/jsonrpc/message-ids.js';
import { createHangarServer, type HangarServer } from '../mcp/hangar-server.js';
import type { LaneHandle } from '../mcp/tool-call-lane.js';
import { isLoopbackHost } from './auth-required.js';

/** The name in a Host header, without its port (`[::1]:8000` → `[::1]`, `localhost:8000` → `localhost`). */
const hostnameOf = (host: string): string => (host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, ''));
import { serveLifecycle, type Servable } from '../shared/lifecycle.js';

/** The metrics hook: /metrics renders it (404 without one); sessions opened and closed are reported to it. */
export interface HttpMetrics {
  readonly contentType: string;
  render(): Promise<string>;
  sessionOpened?(): void;
  sessionClosed?(): void;
}

/** What an authenticator decides about one request. */
export type AuthOutcome =
  | { readonly ok: true; readonly caller: string }
  | { readonly ok: false; readonly status: number; readonly headers: Record<string, string>; readonly body: unknown };

/** The authentication hook, applied to /mcp, /sse, /messages (and /metrics when `http.metricsAuth`). */
export type Authenticate = (req: Request) => Promise<AuthOutcome>;

export interface HttpHangarOptions {
  readonly config: HttpConfig;
  readonly logger: Logger;
  readonly version: string;
  readonly metrics?: HttpMetrics | undefined;
  readonly authenticate?: Authenticate | undefined;
  /** Served at /.well-known/oauth-protected-resource (and .../mcp) when given. */
  readonly wellKnown?: Record<string, unknown> | undefined;
  /**
   * Requests per second per client at the HTTP level (the caller, else the session, else the address): over it
   * a request gets 429 with Retry-After. Absent or rps 0: no limit. The registry tools keep their own
   * per-tool limit inside (RATE_LIMITED results).
   */
  readonly requestLimit?: RateLimitConfig | undefined;
  /** The clock of the idle sweep (milliseconds); tests move it. Default Date.now. */
  readonly now?: () => number;
  /** How often the idle sweep runs; default half the idle time, at most 30 s, at least 100 ms. 0: never by itself (call `sweep`). */
  readonly sweepEveryMs?: number;
}

/** One client session, over either transport. */
interface Session {
  id: string | undefined;
  readonly kind: 'streamable' | 'sse';
  readonly transport: Transport;
  /** Who opened it (an authenticated caller); another caller cannot use it. */
  readonly caller: string | undefined;
  lastActive: number;
  /** The client's requests not answered yet: a session with one is never idle, and shutdown waits for them. */
  readonly pending: Set<RequestId>;
  /** The lean lane on its transport, for the calls answered directly (see answeredDirectly). */
  lane?: LaneHandle;
}

/** The hangar's HTTP face: an express app, its sessions, and the steps of its shutdown. */
export interface HttpHangar {
  readonly app: express.Express;
  /** Open sessions (both transports). */
  sessionCount(): number;
  /** Client requests not answered yet, and HTTP requests still open on POST /mcp and /messages. */
  inFlight(): number;
  /** Closes every session idle for `sessionIdleMs` with nothing in flight; returns how many it closed. */
  sweep(): number;
  /** Refuses new sessions (503) from now on and resolves once nothing is in flight or `graceMs` passed (false then). */
  drain(graceMs: number): Promise<boolean>;
  /** Closes every session's transport and stops the sweep. */
  close(): Promise<void>;
}

type AuthedRequest = Request & { auth?: AuthInfo };

const rpcError = (code: number, message: string) => ({ jsonrpc: '2.0', error: { code, message }, id: null });

const callerOf = (req: Request): string | undefined => {
  const caller = (req as AuthedRequest).auth?.extra?.['caller'];
  return typeof caller === 'string' ? caller : undefined;
};

/**
 * Builds the HTTP interface over a hangar that is booting or booted: Streamable HTTP at /mcp (a session per
 * client, POST/GET/DELETE), the older HTTP+SSE transport at /sse and /messages, health at /health/live and
 * /health/ready, and the hooks for metrics and authentication. Every session is a transport served by the
 * one hangar server (its own SDK server and the lean lane), so every session shares one registry.
 */
export const createHttpHangar = (ready: Promise<Application>, options: HttpHangarOptions): HttpHangar => {
  const { config, logger, metrics, authenticate, wellKnown } = options;
  const now = options.now ?? Date.now;
  let booted = false;
  ready.then(
    () => (booted = true),
    () => undefined,
  );
  const hangarServer: HangarServer = createHangarServer(ready, logger, options.version);
  const sessions = new Map<string, Session>();
  let draining = false;
  let openPosts = 0;

  const register = (session: Session, id: string): void => {
    session.id = id;
    sessions.set(id, session);
    metrics?.sessionOpened?.();
  };
  const unregister = (session: Session): void => {
    if (session.id !== undefined && sessions.get(session.id) === session) {
      sessions.delete(session.id);
      metrics?.sessionClosed?.();
    }
  };

  /** Counts the session's requests until their responses are sent (or they are cancelled), and marks it active. */
  const track = (session: Session): void => {
    const { transport } = session;
    const onmessage = transport.onmessage;
    if (onmessage === undefined) throw new Error('track: connect the transport first');
    transport.onmessage = (message, extra) => {
      session.lastActive = now();
      const { method, id, params } = message as { method?: unknown; id?: RequestId; params?: { requestId?: RequestId } };
      if (typeof method === 'string' && id !== undefined) session.pending.add(id);
      else if (method === 'notifications/cancelled' && params?.requestId !== undefined) {
        session.pending.delete(params.requestId);
        // A cancelled request gets no response (MCP): end its event stream, so that its POST does not stay
        // open (and hold a shutdown's drain) until the session goes.
        const requestId = params.requestId;
        queueMicrotask(() => (transport as Partial<StreamableHTTPServerTransport>).closeSSEStream?.(requestId));
      }
      onmessage.call(transport, message, extra);
    };
    const send = transport.send.bind(transport);
    transport.send = async (message: JSONRPCMessage, sendOptions) => {
      const { method, id } = message as { method?: unknown; id?: RequestId };
      try {
        return await send(message, sendOptions);
      } finally {
        session.lastActive = now();
        if (method === undefined && id !== undefined) session.pending.delete(id);
      }
    };
  };

  const newSession = (kind: Session['kind'], transport: Transport, req: Request): Session => ({
    id: undefined,
    kind,
    transport,
    caller: callerOf(req),
    lastActive: now(),
    pending: new Set(),
  });

  /** Requests not answered yet: the open POSTs (a Streamable HTTP call's answer is its POST's response), plus the SSE sessions' calls (their POSTs are answered 202 at once). */
  const inFlight = (): number => {
    let n = openPosts;
    for (const session of sessions.values()) if (session.kind === 'sse') n += session.pending.size;
    return n;
  };

  // --- middleware -------------------------------------------------------------------------------------------

  /**
   * DNS rebinding protection: a browser's Origin must be one the config allows (no Origin: not a browser,
   * allowed); and a hangar listening on loopback answers only requests addressed to a loopback name, so a
   * page whose name was rebound to 127.0.0.1 cannot read it with same-origin requests (which carry no Origin).
   */
  const checkOrigin: RequestHandler = (req, res, next) => {
    if (onLoopback && !isLoopbackHost(hostnameOf(req.headers.host ?? ''))) {
      res.status(403).json(rpcError(-32000, `Forbidden: host ${req.headers.host ?? '(none)'} is not this machine's loopback address`));
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !config.allowedOrigins.includes(origin)) {
      res.status(403).json(rpcError(-32000, `Forbidden: origin ${origin} is not in http.allowed_origins`));
      return;
    }
    next();
  };

  const authenticated: RequestHandler = (req, res, next) => {
    if (authenticate === undefined) return next();
    authenticate(req).then(
      (outcome) => {
        if (!outcome.ok) {
          res.status(outcome.status).set(outcome.headers).json(outcome.body);
          return;
        }
        (req as AuthedRequest).auth = { token: '', clientId: outcome.caller, scopes: [], extra: { caller: outcome.caller } };
        next();
      },
      (error: unknown) => next(error),
    );
  };

  const requests = options.requestLimit === undefined ? undefined : new RateLimiter(options.requestLimit, { now });

  /** HTTP-level refusals: a client over `requestLimit` gets 429 with the seconds to wait. */
  const limited: RequestHandler = (req, res, next) => {
    if (requests === undefined) return next();
    // The caller, else the address: never a session id the client chose, or opening sessions would buy budget.
    const owner = callerOf(req) ?? req.ip ?? '';
    try {
      requests.take(owner);
    } catch (error) {
      if (!isDomainError(error)) return next(error);
      const seconds = Math.max(1, Math.ceil((error.details.retryAfterMs ?? 1000) / 1000));
      res
        .status(429)
        .set('Retry-After', String(seconds))
        .json(rpcError(-32000, `Too many requests: ${error.message}`));
      return;
    }
    next();
  };

  /** Counts the open POSTs: shutdown lets them finish (their responses are on their way). */
  const countOpen: RequestHandler = (req, res, next) => {
    if (req.method !== 'POST') return next();
    openPosts++;
    res.once('close', () => openPosts--);
    next();
  };

  const body = express.json({ limit: config.maxBodyBytes, type: () => true });

  const refuseWhileDraining = (res: Response): boolean => {
    if (!draining) return false;
    res.status(503).set('Retry-After', '5').json(rpcError(-32000, 'Service unavailable: the hangar is shutting down'));
    return true;
  };

  /**
   * The hot path over HTTP: a `tools/call` of a lane tool (registry_invoke), without a progress token, from
   * a client that takes JSON, is answered here with one JSON response — no event stream, no pass through
   * the SDK transport — written as the lane's response text (the provider's result byte for byte). Anything
   * else goes to the transport. Its cancellation still arrives through the transport and reaches the lane.
   */
  const answeredDirectly = async (session: Session, req: Request, res: Response): Promise<boolean> => {
    const message = req.body as { jsonrpc?: unknown; method?: unknown; id?: unknown; params?: { _meta?: { progressToken?: unknown } } } | null;
    if (req.method !== 'POST' || session.lane === undefined || message === null || typeof message !== 'object' || Array.isArray(message)) return false;
    if (message.jsonrpc !== '2.0' || message.method !== 'tools/call' || !isRequestId(message.id) || message.params?._meta?.progressToken !== undefined)
      return false;
    // The SDK transport's own checks decide anything unusual (406, 415, 400): such requests take its path.
    if (!(req.headers.accept ?? '').includes('application/json') || !(req.headers['content-type'] ?? '').includes('application/json')) return false;
    const version = req.headers['mcp-protocol-version'];
    if (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(String(version))) return false;
    const id = message.id;
    const answering = session.lane.direct(id, message.params, (req as AuthedRequest).auth);
    if (answering === undefined) return false;
    session.pending.add(id);
    let text: string | undefined;
    try {
      text = await answering;
    } finally {
      session.pending.delete(id);
      session.lastActive = now();
    }
    // A call the client cancelled gets no JSON-RPC response (MCP); its HTTP request is ended empty.
    if (text === undefined)
      res
        .status(204)
        .set('mcp-session-id', session.id ?? '')
        .end();
    else
      res
        .status(200)
        .set({ 'content-type': 'application/json', 'mcp-session-id': session.id ?? '' })
        .end(text);
    return true;
  };

  const sessionNotFound = (res: Response): void => void res.status(404).json(rpcError(-32001, 'Session not found'));

  // --- routes -----------------------------------------------------------------------------------------------

  const onLoopback = isLoopbackHost(config.host);
  const app = express();
  app.disable('x-powered-by');
  app.use(checkOrigin);

  app.get('/health/live', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/health/ready', (_req, res) => {
    const sessionsOpen = sessions.size;
    if (draining) return void res.status(503).json({ status: 'shutting down', sessions: sessionsOpen });
    if (!booted) return void res.status(503).json({ status: 'booting', waitingFor: ['registry'], sessions: sessionsOpen });
    res.json({ status: 'ready', sessions: sessionsOpen });
  });

  if (metrics !== undefined) {
    const guard: RequestHandler[] = config.metricsAuth ? [authenticated] : [];
    app.get('/metrics', ...guard, (_req, res, next) => {
      metrics.render().then((text) => void res.type(metrics.contentType).send(text), next);
    });
  }

  if (wellKnown !== undefined) {
    app.get(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp'], (_req, res) => void res.json(wellKnown));
  }

  app.all('/mcp', authenticated, limited, countOpen, body, async (req, res) => {
    const sessionId = req.header('mcp-session-id');
    if (sessionId !== undefined) {
      const session = sessions.get(sessionId);
      if (session === undefined || session.kind !== 'streamable' || session.caller !== callerOf(req)) return sessionNotFound(res);
      session.lastActive = now();
      if (await answeredDirectly(session, req, res)) return;
      await (session.transport as StreamableHTTPServerTransport).handleRequest(req, res, req.body);
      return;
    }
    if (req.method !== 'POST' || !isInitializeRequest(req.body)) {
      res.status(400).json(rpcError(-32000, 'Bad Request: no valid session id (start a session with an initialize request)'));
      return;
    }
    if (refuseWhileDraining(res)) return;
    const holder: { session?: Session } = {};
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => {
        if (holder.session !== undefined) register(holder.session, id);
      },
    });
    const opened = newSession('streamable', transport, req);
    holder.session = opened;
    transport.onclose = () => unregister(opened);
    opened.lane = await hangarServer.connect(transport);
    track(opened);
    await transport.handleRequest(req, res, req.body);
    // An initialize that did not open a session (refused by the transport) leaves nothing behind.
    if (opened.id === undefined) await transport.close();
  });

  app.get('/sse', authenticated, limited, async (req, res) => {
    if (refuseWhileDraining(res)) return;
    const transport = new SSEServerTransport('/messages', res);
    const session = newSession('sse', transport, req);
    register(session, transport.sessionId);
    transport.onclose = () => unregister(session);
    session.lane = await hangarServer.connect(transport); // starts the event stream
    track(session);
  });

  app.post('/messages', authenticated, limited, countOpen, body, async (req, res) => {
    const sessionId = typeof req.query['sessionId'] === 'string' ? req.query['sessionId'] : undefined;
    const session = sessionId === undefined ? undefined : sessions.get(sessionId);
    if (session === undefined || session.kind !== 'sse' || session.caller !== callerOf(req)) return sessionNotFound(res);
    session.lastActive = now();
    await (session.transport as SSEServerTransport).handlePostMessage(req, res, req.body);
  });

  // Body-parser's refusals in JSON-RPC words: 413 for a body over the limit, 400 for one that is not JSON.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const { type, status } = (error ?? {}) as { type?: string; status?: number };
    if (res.headersSent) return void res.end();
    if (type === 'entity.too.large')
      return void res.status(413).json(rpcError(-32600, `Request body too large: the limit is ${config.maxBodyBytes} bytes (http.max_body_bytes)`));
    if (type === 'entity.parse.failed') return void res.status(400).json(rpcError(-32700, 'Parse error: the body is not JSON'));
    if (typeof status === 'number' && status >= 400 && status < 500) return void res.status(status).json(rpcError(-32600, String((error as Error).message)));
    logger.error('HTTP request failed', { error: error instanceof Error ? error.stack : String(error) });
    res.status(500).json(rpcError(-32603, 'Internal server error'));
  });

  // --- idle sweep and shutdown ------------------------------------------------------------------------------

  const sweep = (): number => {
    const cutoff = now() - config.sessionIdleMs;
    let closed = 0;
    for (const session of [...sessions.values()]) {
      if (session.pending.size > 0 || session.lastActive > cutoff) continue;
      closed++;
      unregister(session);
      session.transport.close().catch((e: unknown) => logger.warn('closing an idle session failed', { error: String(e) }));
    }
    if (closed > 0) logger.debug('idle sessions closed', { closed, open: sessions.size });
    return closed;
  };
  const every = options.sweepEveryMs ?? Math.max(100, Math.min(30_000, Math.floor(config.sessionIdleMs / 2)));
  const timer = every > 0 ? setInterval(sweep, every) : undefined;
  timer?.unref();

  return {
    app,
    sessionCount: () => sessions.size,
    inFlight,
    sweep,
    drain: async (graceMs) => {
      draining = true;
      const deadline = Date.now() + graceMs;
      while (inFlight() > 0) {
        if (Date.now() >= deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return true;
    },
    close: async () => {
      if (timer !== undefined) clearInterval(timer);
      const open = [...sessions.values()];
      open.forEach(unregister);
      await Promise.all(open.map((s) => s.transport.close().catch(() => undefined)));
      await hangarServer.close();
    },
  };
};

/** The URL clients use for `host` and `port`. */
export const mcpUrl = (host: string, port: number): string => `http://${host.includes(':') ? `[${host}]` : host}:${port}/mcp`;

/**
 * Serves the hangar over HTTP while it boots (health says "booting", sessions open, tool calls wait for the
 * registry) and until a signal: then it stops accepting (new sessions get 503), lets the calls in flight
 * finish within `shutdownGraceMs`, closes the sessions, and the shared serve lifecycle shuts the hangar down.
 * Resolves with the URL once listening.
 */
export const serveHttp = async (
  booting: Promise<Servable>,
  options: Omit<HttpHangarOptions, 'now' | 'sweepEveryMs'>,
): Promise<{ url: string; port: number }> => {
  const { config, logger } = options;
  const http = createHttpHangar(
    booting.then((h) => h.app),
    options,
  );
  const lifecycle = serveLifecycle(booting, logger);
  const server = await new Promise<HttpServer>((resolve, reject) => {
    const listening = http.app.listen(config.port, config.host, (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  lifecycle.onClose(async () => {
    server.close(); // no new connections; the open ones finish below
    const inFlight = http.inFlight();
    const drained = await http.drain(config.shutdownGraceMs);
    if (!drained) logger.warn('shutdown grace over: closing sessions with calls in flight', { inFlight: http.inFlight(), graceMs: config.shutdownGraceMs });
    else if (inFlight > 0) logger.info('calls in flight finished', { calls: inFlight });
    await http.close();
    server.closeAllConnections();
  });
  const port = (server.address() as AddressInfo).port;
  const url = mcpUrl(config.host, port);
  logger.info('listening', { url, port, sse: url.replace(/\/mcp$/, '/sse') });
  process.stderr.write(`mcp-hangar: serving MCP over HTTP at ${url} (older SSE clients: ${url.replace(/\/mcp$/, '/sse')})\n`);
  return { url, port };
};
