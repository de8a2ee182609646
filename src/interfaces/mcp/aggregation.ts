import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  type LoggingLevel,
} from '@modelcontextprotocol/sdk/types.js';
import type { Application } from '../../application/application.js';
import type { Logger } from '../../application/ports/logger.js';
import type { ForwardedMethod, ProviderConnection, ProviderNotification } from '../../application/ports/provider-runtime.js';
import { isDomainError } from '../../domain/shared/errors.js';
import type { ProviderId } from '../../domain/shared/ids.js';

/**
 * Resources, prompts, completions and logging of every provider, served through the hangar's MCP server.
 *
 * - Listing (resources, resource templates, prompts) covers the providers running now: a listing never
 *   starts a provider. A cold provider's items appear once it runs (clients hear list_changed then).
 * - A resource is listed as `hangar://<provider>/<encodeURIComponent(its uri)>`, which names its provider
 *   and round-trips across restarts; reading it starts a cold provider, like a tool call. A template's
 *   literal parts are encoded the same way and its `{expressions}` kept, so that a client's expansion
 *   reads back as the provider's own expansion.
 * - Tool results are forwarded unchanged, so a `resource_link` in them carries the provider's own uri:
 *   resources/read accepts such an original uri too, and tries the running providers that list it, then
 *   those whose templates match it, then every other running provider with resources.
 * - Prompts are named `<provider>__<prompt>`; completion/complete maps its ref back the same way.
 * - Providers' log messages are relayed with `logger: "<provider>"` (or `<provider>/<their logger>`);
 *   logging/setLevel applies to the session and is forwarded to every running provider and to those
 *   started later.
 */
export const RESOURCE_SCHEME = 'hangar://';
const SEPARATOR = '__';
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_PAGES = 100;

type Json = Record<string, unknown>;

const LEVELS: readonly LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/** The hangar's name for a provider's resource uri. */
export const hangarUri = (provider: string, uri: string): string => `${RESOURCE_SCHEME}${provider}/${encodeURIComponent(uri)}`;

/** A template's hangar form: literal parts encoded, `{expressions}` kept. */
export const hangarTemplate = (provider: string, template: string): string =>
  `${RESOURCE_SCHEME}${provider}/${template
    .split(/(\{[^}]*\})/)
    .map((part) => (part.startsWith('{') ? part : encodeURIComponent(part)))
    .join('')}`;

/** The provider and original uri a hangar uri stands for; undefined for any other uri. */
export const parseHangarUri = (uri: string): { provider: string; uri: string } | undefined => {
  if (!uri.startsWith(RESOURCE_SCHEME)) return undefined;
  const rest = uri.slice(RESOURCE_SCHEME.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  try {
    return { provider: rest.slice(0, slash), uri: decodeURIComponent(rest.slice(slash + 1)) };
  } catch {
    return undefined;
  }
};

/** A regular expression matching a template's expansions (each expression matches any text). */
const templateMatcher = (template: string): RegExp =>
  new RegExp(
    `^${template
      .split(/(\{[^}]*\})/)
      .map((part) => (part.startsWith('{') ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  );

const has = (connection: ProviderConnection, capability: string): boolean => connection.capabilities[capability] !== undefined;

const asMcpError = (error: unknown): McpError => {
  if (error instanceof McpError) return error;
  if (isDomainError(error)) {
    const code = error.code === 'INVALID_ARGUMENTS' || error.code === 'PROVIDER_NOT_FOUND' ? ErrorCode.InvalidParams : ErrorCode.InternalError;
    return new McpError(code, error.message, { code: error.code, ...(error.details.hints ? { hints: error.details.hints } : {}) });
  }
  return new McpError(ErrorCode.InternalError, error instanceof Error ? error.message : String(error));
};

export interface Aggregation {
  /** Declares the handlers of resources, prompts, completions and logging on one SDK server. */
  register(server: Server): void;
  close(): void;
}

/**
 * The aggregation of `servers()` (every SDK server the hangar serves, one per transport) over the running
 * providers of the booted application.
 */
export const createAggregation = (appReady: Promise<Application>, servers: () => Iterable<Server>, logger: Logger): Aggregation => {
  let app: Application | undefined;
  const ready = async (): Promise<Application> => app ?? (await appReady);
  /** What each provider listed last: its resource uris and template matchers, for original uris. */
  const listed = new Map<string, { uris: Set<string>; templates: RegExp[] }>();
  const levels = new WeakMap<Server, LoggingLevel>();
  let providerLevel: LoggingLevel | undefined;
  const unsubscribes: (() => void)[] = [];
  const watched = new WeakSet<ProviderConnection>();

  const tellEveryone = (method: 'notifications/resources/list_changed' | 'notifications/prompts/list_changed'): void => {
    for (const server of servers()) void server.notification({ method }).catch(() => undefined);
  };

  const relayLog = (provider: string, params: Json | undefined): void => {
    const level = (params?.['level'] as LoggingLevel | undefined) ?? 'info';
    const own = typeof params?.['logger'] === 'string' ? `/${params['logger']}` : '';
    const relayed = { ...params, level, logger: `${provider}${own}`, data: params?.['data'] ?? null };
    for (const server of servers()) {
      const min = levels.get(server);
      if (min !== undefined && LEVELS.indexOf(level) < LEVELS.indexOf(min)) continue;
      void server.notification({ method: 'notifications/message', params: relayed }).catch(() => undefined);
    }
  };

  const watch = (provider: string, connection: ProviderConnection): void => {
    if (watched.has(connection)) return;
    watched.add(connection);
    connection.onNotification((notification: ProviderNotification) => {
      const params = notification.params as Json | undefined;
      if (notification.method === 'notifications/message') relayLog(provider, params);
      else if (notification.method === 'notifications/resources/list_changed') tellEveryone('notifications/resources/list_changed');
      else if (notification.method === 'notifications/prompts/list_changed') tellEveryone('notifications/prompts/list_changed');
      else if (notification.method === 'notifications/resources/updated' && typeof params?.['uri'] === 'string') {
        const uri = hangarUri(provider, params['uri']);
        for (const server of servers())
          void server.notification({ method: 'notifications/resources/updated', params: { ...params, uri } }).catch(() => undefined);
      }
    });
    if (providerLevel !== undefined && has(connection, 'logging')) {
      connection.request('logging/setLevel', { level: providerLevel }, { timeoutMs: REQUEST_TIMEOUT_MS }).catch((error: unknown) => {
        logger.debug('a provider refused logging/setLevel', { provider, error: String(error) });
      });
    }
  };

  appReady
    .then((booted) => {
      app = booted;
      for (const { provider, connection } of booted.running.list()) watch(provider, connection);
      unsubscribes.push(
        booted.running.onChange(({ provider, connection, running }) => {
          if (running) watch(provider, connection);
          else listed.delete(provider);
          if (has(connection, 'resources')) tellEveryone('notifications/resources/list_changed');
          if (has(connection, 'prompts')) tellEveryone('notifications/prompts/list_changed');
        }),
      );
    })
    .catch(() => undefined);

  /** Every page of a list request from one provider, items under `key`. */
  const listAll = async (connection: ProviderConnection, method: ForwardedMethod, key: string, signal: AbortSignal): Promise<Json[]> => {
    const items: Json[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await connection.request(method, cursor === undefined ? {} : { cursor }, { timeoutMs: REQUEST_TIMEOUT_MS, signal });
      const got = result[key];
      if (Array.isArray(got)) items.push(...(got as Json[]));
      const next = result['nextCursor'];
      if (typeof next !== 'string' || next === cursor) break;
      cursor = next;
    }
    return items;
  };

  /** The lists of every running provider with `capability`, each mapped by `map`; a provider that fails is left out (logged). */
  const gather = async (
    capability: string,
    method: ForwardedMethod,
    key: string,
    signal: AbortSignal,
    map: (provider: string, item: Json) => Json | undefined,
  ): Promise<Json[]> => {
    const booted = await ready();
    const lists = await Promise.all(
      booted.running
        .list()
        .filter(({ connection }) => has(connection, capability))
        .map(async ({ provider, connection }) => {
          try {
            const items = await listAll(connection, method, key, signal);
            return items.map((item) => map(provider, item)).filter((item): item is Json => item !== undefined);
          } catch (error) {
            logger.warn(`could not list a provider's ${key}`, { provider, error: error instanceof Error ? error.message : String(error) });
            return [];
          }
        }),
    );
    return lists.flat();
  };

  const entryOf = (provider: string) => {
    let entry = listed.get(provider);
    if (!entry) listed.set(provider, (entry = { uris: new Set(), templates: [] }));
    return entry;
  };

  /** The running connection of `provider`, started first when it is cold. */
  const connectionOf = async (provider: string): Promise<{ id: ProviderId; connection: ProviderConnection }> => {
    const booted = await ready();
    try {
      const id = booted.resolve(provider);
      const session = await booted.start(id, 'invoke');
      watch(id, session.connection);
      return { id, connection: session.connection };
    } catch (error) {
      throw asMcpError(error);
    }
  };

  /** `<provider>__<name>` split at the longest registered provider id it starts with. */
  const splitName = async (name: string): Promise<{ provider: string; name: string }> => {
    const booted = await ready();
    const match = booted
      .catalogTools()
      .map((c) => c.provider as string)
      .filter((p) => name.startsWith(`${p}${SEPARATOR}`))
      .sort((a, b) => b.length - a.length)[0];
    if (match === undefined) {
      throw new McpError(ErrorCode.InvalidParams, `the hangar has no prompt '${name}': prompts are named <provider>${SEPARATOR}<prompt>`, {
        hints: ['Use prompts/list to see the prompts of the running providers'],
      });
    }
    return { provider: match, name: name.slice(match.length + SEPARATOR.length) };
  };

  const forward = async (provider: string, method: ForwardedMethod, params: Json, signal: AbortSignal): Promise<Json> => {
    const { connection } = await connectionOf(provider);
    try {
      return { ...(await connection.request(method, params, { timeoutMs: REQUEST_TIMEOUT_MS, signal })) };
    } catch (error) {
      throw asMcpError(error);
    }
  };

  const readOriginal = async (uri: string, params: Json, signal: AbortSignal): Promise<Json> => {
    const booted = await ready();
    const running = booted.running.list().filter(({ connection }) => has(connection, 'resources'));
    const byListing = running.filter(({ provider }) => listed.get(provider)?.uris.has(uri));
    const byTemplate = running.filter(({ provider }) => listed.get(provider)?.templates.some((t) => t.test(uri)));
    const candidates = [...new Set([...byListing, ...byTemplate, ...running].map(({ provider }) => provider as string))];
    if (candidates.length === 0) {
      throw new McpError(ErrorCode.InvalidParams, `no running provider has the resource '${uri}'`, {
        hints: [`Resources are listed as ${RESOURCE_SCHEME}<provider>/<uri>; reading one of those starts its provider`],
      });
    }
    let last: unknown;
    for (const provider of candidates) {
      try {
        return await forward(provider, 'resources/read', { ...params, uri }, signal);
      } catch (error) {
        last = error;
      }
    }
    throw asMcpError(last);
  };

  return {
    register: (server) => {
      server.setRequestHandler(ListResourcesRequestSchema, async (_request, extra) => ({
        resources: await gather('resources', 'resources/list', 'resources', extra.signal, (provider, item) => {
          if (typeof item['uri'] !== 'string') return undefined;
          entryOf(provider).uris.add(item['uri']);
          return { ...item, uri: hangarUri(provider, item['uri']) };
        }),
      }));
      server.setRequestHandler(ListResourceTemplatesRequestSchema, async (_request, extra) => ({
        resourceTemplates: await gather('resources', 'resources/templates/list', 'resourceTemplates', extra.signal, (provider, item) => {
          if (typeof item['uriTemplate'] !== 'string') return undefined;
          const entry = entryOf(provider);
          if (!entry.templates.some((t) => t.source === templateMatcher(item['uriTemplate'] as string).source))
            entry.templates.push(templateMatcher(item['uriTemplate']));
          return { ...item, uriTemplate: hangarTemplate(provider, item['uriTemplate']) };
        }),
      }));
      server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
        const { uri, ...params } = request.params as Json & { uri: string };
        const target = parseHangarUri(uri);
        if (target === undefined) return readOriginal(uri, params, extra.signal);
        const result = await forward(target.provider, 'resources/read', { ...params, uri: target.uri }, extra.signal);
        const contents = Array.isArray(result['contents']) ? (result['contents'] as Json[]) : [];
        // The contents name the resource as it was asked for.
        return {
          ...result,
          contents: contents.map((c) => (typeof c['uri'] === 'string' ? { ...c, uri: hangarUri(target.provider, c['uri']) } : c)),
        };
      });
      server.setRequestHandler(ListPromptsRequestSchema, async (_request, extra) => ({
        prompts: await gather('prompts', 'prompts/list', 'prompts', extra.signal, (provider, item) =>
          typeof item['name'] === 'string' ? { ...item, name: `${provider}${SEPARATOR}${item['name']}` } : undefined,
        ),
      }));
      server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
        const target = await splitName(request.params.name);
        return forward(target.provider, 'prompts/get', { ...request.params, name: target.name }, extra.signal);
      });
      server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
        const ref = request.params.ref as Json;
        if (ref['type'] === 'ref/prompt' && typeof ref['name'] === 'string') {
          const target = await splitName(ref['name']);
          return forward(target.provider, 'completion/complete', { ...request.params, ref: { ...ref, name: target.name } }, extra.signal);
        }
        const target = typeof ref['uri'] === 'string' ? parseHangarUri(ref['uri']) : undefined;
        if (target === undefined) {
          throw new McpError(
            ErrorCode.InvalidParams,
            `completion/complete needs a ref to a prompt (<provider>${SEPARATOR}<prompt>) or a ${RESOURCE_SCHEME} template`,
          );
        }
        return forward(target.provider, 'completion/complete', { ...request.params, ref: { ...ref, uri: target.uri } }, extra.signal);
      });
      server.setRequestHandler(SetLevelRequestSchema, async (request) => {
        const level = request.params.level;
        levels.set(server, level);
        providerLevel = level;
        const booted = await ready();
        await Promise.all(
          booted.running
            .list()
            .filter(({ connection }) => has(connection, 'logging'))
            .map(({ provider, connection }) =>
              connection.request('logging/setLevel', { level }, { timeoutMs: REQUEST_TIMEOUT_MS }).catch((error: unknown) => {
                logger.debug('a provider refused logging/setLevel', { provider, error: String(error) });
              }),
            ),
        );
        return {};
      });
    },
    close: () => unsubscribes.splice(0).forEach((u) => u()),
  };
};
