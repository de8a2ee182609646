import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type FetchImplementation, type JWTPayload } from 'jose';
import type { HttpConfig } from '../../application/config.js';
import type { Clock } from '../../application/ports/clock.js';
import type { Logger } from '../../application/ports/logger.js';
import { redactSecrets } from '../../domain/shared/redact.js';

/** What the HTTP server needs of a request to authenticate it (an `express.Request` is one). */
export type AuthRequest = Pick<Request, 'headers'>;

/** The verdict on one request: who calls, or the response to send instead of serving it. */
export type AuthResult =
  | { readonly ok: true; readonly caller: string }
  | { readonly ok: false; readonly status: number; readonly headers: Record<string, string>; readonly body: unknown };

export interface Authenticator {
  /** Checks the request's `Authorization: Bearer` credential: a configured static token, else a JWT when `jwt` is configured. */
  authenticate(req: AuthRequest): Promise<AuthResult>;
  /** The RFC 9728 protected resource metadata document; present only when JWTs are configured. */
  readonly wellKnown?: Record<string, unknown>;
  /** Where to serve `wellKnown`: the root form (named in `resource_metadata`) and the RFC 9728 path-inserted form of the resource. */
  readonly wellKnownPaths?: readonly string[];
}

export type HttpAuthConfig = NonNullable<HttpConfig['auth']>;

export interface AuthenticatorOptions {
  /** The protected resource's public URL (the MCP endpoint, e.g. `https://hangar.example.com/mcp`): the RFC 9728 `resource`. */
  readonly resourceUrl: string;
  /** Fetches the JWKS (default: the global fetch). */
  readonly fetch?: FetchImplementation;
  /** The time JWT expiry is checked against (default: the system clock). */
  readonly clock?: Clock;
  /** Where JWKS failures are logged (never a token). */
  readonly logger?: Logger;
}

/** The path the metadata document is served at, and the `resource_metadata` of every challenge names. */
export const WELL_KNOWN_PATH = '/.well-known/oauth-protected-resource';
/** Leeway for `exp`/`nbf` against clock skew between the authorization server and the hangar. */
const CLOCK_TOLERANCE_S = 30;
/** Seconds a client is asked to wait when the JWKS cannot be fetched. */
const JWKS_RETRY_AFTER_S = 5;
/**
 * `Bearer` and one credential. Wider than RFC 6750's `b64token`: a configured static token may hold any
 * visible character (`!`, `#`, ...), and must still be accepted.
 */
const BEARER = /^Bearer +([\x21-\x7e]+)$/i;

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** A quoted-string value of a challenge parameter: RFC 6750 allows no `"` or `\` in it. */
const quoted = (text: string): string => `"${text.replace(/[^\x20-\x7e]|["\\]/g, "'")}"`;

/** Why a JWT was refused, in words for the client: the claim at fault, never the token nor our internals. */
const rejectionOf = (error: unknown, jwt: NonNullable<HttpAuthConfig['jwt']>): string | null => {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return `the token's audience is not ${jwt.audience}`;
    if (error.claim === 'iss') return `the token's issuer is not ${jwt.issuer}`;
    if (error.claim === 'nbf') return 'the token is not valid yet';
    if (error.reason === 'missing') return `the token has no ${error.claim} claim`;
    return `the token's ${error.claim} claim is invalid`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no key of the issuer matches the token (kid, alg)';
  if (error instanceof errors.JWKSMultipleMatchingKeys) return 'several keys of the issuer match the token; it needs a kid';
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return 'the token algorithm is not accepted';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'not a known token nor a well-formed JWT';
  return null; // the JWKS could not be fetched or read: not the token's fault.
};

/**
 * Authenticates HTTP requests for the hangar (`http.auth`). Static bearer tokens are compared in constant
 * time (SHA-256 of both sides, `timingSafeEqual` against every configured token without stopping at a
 * match); the caller is the token's name. Any other bearer credential is verified as a JWT when `jwt` is
 * configured (signature from the issuer's JWKS, `iss`, `aud`, `exp` required); the caller is `sub`, else
 * `client_id`, else `azp`. Refusals follow RFC 6750 (`WWW-Authenticate: Bearer`, `error="invalid_token"`)
 * with RFC 9728's `resource_metadata` when JWTs are configured. No response or log line carries a token.
 */
export const createAuthenticator = (auth: HttpAuthConfig, options: AuthenticatorOptions): Authenticator => {
  const tokenNames = new Set(auth.tokens.map((t) => t.name));
  const configured = auth.tokens.map((token) => ({ name: token.name, digest: sha256(token.value) }));
  const jwt = auth.jwt;
  const resource = new URL(options.resourceUrl);
  const metadataUrl = `${resource.origin}${WELL_KNOWN_PATH}`;
  const jwks = jwt === undefined ? undefined : createRemoteJWKSet(new URL(jwt.jwksUrl), options.fetch === undefined ? {} : { [customFetch]: options.fetch });
  const secrets = auth.tokens.map((token) => token.value);

  const challenge = (params: Record<string, string>): string => {
    const all = { ...params, ...(jwt === undefined ? {} : { resource_metadata: metadataUrl }) };
    const list = Object.entries(all).map(([key, value]) => `${key}=${quoted(value)}`);
    return list.length === 0 ? 'Bearer' : `Bearer ${list.join(', ')}`;
  };
  const refuse = (status: number, error: string, message: string, params: Record<string, string>): AuthResult => ({
    ok: false,
    status,
    headers: { 'WWW-Authenticate': challenge(params) },
    body: { error, message },
  });
  const invalidToken = (description: string): AuthResult =>
    refuse(401, 'invalid_token', description, { error: 'invalid_token', error_description: description });

  const staticCaller = (token: string): string | undefined => {
    const presented = sha256(token);
    let caller: string | undefined;
    // Every configured token is compared, whichever matches: the time taken says nothing about which did.
    for (const { name, digest } of configured) {
      const equal = timingSafeEqual(digest, presented);
      if (equal && caller === undefined) caller = name;
    }
    return caller;
  };

  const verifyJwt = async (token: string): Promise<AuthResult> => {
    if (jwt === undefined || jwks === undefined) return invalidToken('not a known token');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: jwt.issuer,
        audience: jwt.audience,
        requiredClaims: ['exp'],
        clockTolerance: CLOCK_TOLERANCE_S,
        ...(options.clock === undefined ? {} : { currentDate: new Date(options.clock.now()) }),
      }));
    } catch (error) {
      const rejection = rejectionOf(error, jwt);
      if (rejection !== null) return invalidToken(rejection);
      const cause = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const deeper = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
      options.logger?.warn('cannot verify a JWT: the JWKS could not be fetched or read', {
        jwksUrl: jwt.jwksUrl,
        cause: redactSecrets(cause + deeper, secrets),
      });
      return {
        ok: false,
        status: 503,
        headers: { 'Retry-After': String(JWKS_RETRY_AFTER_S) },
        body: {
          error: 'auth_unavailable',
          message: "cannot verify the token now: the authorization server's signing keys (JWKS) could not be fetched; try again",
        },
      };
    }
    const caller = [payload.sub, payload['client_id'], payload['azp']].find((claim): claim is string => typeof claim === 'string' && claim !== '');
    if (caller === undefined) return invalidToken('the token names no subject (sub, client_id or azp)');
    // Callers share one namespace (sessions, rate limits, the audit trail): a subject that is also the name
    // of a static token would pass for that token's holder, so it is refused.
    if (tokenNames.has(caller)) return invalidToken('the token names a subject that is also the name of a static token');
    return { ok: true, caller };
  };

  const authenticate = async (req: AuthRequest): Promise<AuthResult> => {
    const header = req.headers.authorization;
    if (header === undefined || header.trim() === '') {
      return refuse(401, 'unauthorized', 'send Authorization: Bearer <token> (a token from http.auth.tokens, or a JWT from the issuer)', {});
    }
    if (!/^Bearer(?: |$)/i.test(header.trim())) {
      // RFC 6750 section 3.1: an unsupported scheme gets the bare challenge, no error code.
      return refuse(401, 'unauthorized', 'only the Bearer scheme is accepted: send Authorization: Bearer <token>', {});
    }
    const token = BEARER.exec(header.trim())?.[1];
    if (token === undefined) {
      const description = 'the Authorization header is not Bearer followed by one token';
      return refuse(400, 'invalid_request', description, { error: 'invalid_request', error_description: description });
    }
    const caller = staticCaller(token);
    if (caller !== undefined) return { ok: true, caller };
    return verifyJwt(token);
  };

  if (jwt === undefined) return { authenticate };
  const wellKnown = { resource: options.resourceUrl, authorization_servers: [jwt.issuer], bearer_methods_supported: ['header'] };
  const insertedPath = resource.pathname === '/' ? WELL_KNOWN_PATH : `${WELL_KNOWN_PATH}${resource.pathname.replace(/\/$/, '')}`;
  return { authenticate, wellKnown, wellKnownPaths: [...new Set([WELL_KNOWN_PATH, insertedPath])] };
};
