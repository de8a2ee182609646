import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Application } from '../../application/application.js';
import type { Logger } from '../../application/ports/logger.js';
import type { ToolCallResult } from '../../application/ports/provider-runtime.js';
import { DomainError, isDomainError } from '../../domain/shared/errors.js';
import { createAggregation } from './aggregation.js';
import { directErrorResult, errorResult } from './error-result.js';
import { computeExposure, type Exposure } from './exposure.js';
import { acceptToolArguments, toolArgumentsSchema } from './schemas.js';
import { indexOnce, SEARCH_TOOL, searchListing } from './search-surface.js';
import type { ToolSearchIndex } from './tool-search.js';
import type { RegistryTool, ToolContext } from './registry-tool.js';
import { identityOf, serveToolCallLane, type LaneHandle, type RegistryCall } from './tool-call-lane.js';
import { registryAudit } from './tools/audit.tool.js';
import { registryDetails } from './tools/details.tool.js';
import { registryHistory } from './tools/history.tool.js';
import { registryReplay } from './tools/replay.tool.js';
import { registryHealth } from './tools/health.tool.js';
import { registryInvokeEx, registryInvokeStream } from './tools/invoke-ex.tool.js';
import { registryInvoke } from './tools/invoke.tool.js';
import { registryList } from './tools/list.tool.js';
import { registryStart } from './tools/start.tool.js';
import { registryStop } from './tools/stop.tool.js';
import { registryStatus } from './tools/status.tool.js';
import { registryTools } from './tools/tools.tool.js';
import { registryWarm } from './tools/warm.tool.js';

/**
 * Every registry tool the hangar serves, in the order clients list them: every exposure but `search` lists
 * them all (`registry_search_tools`, listed only in `search`, is not among them).
 */
export const REGISTRY_TOOLS: readonly RegistryTool[] = [
  registryList,
  registryTools,
  registryInvoke,
  registryInvokeEx,
  registryInvokeStream,
  registryStart,
  registryStop,
  registryWarm,
  registryDetails,
  registryHealth,
  registryStatus,
  registryHistory,
  registryReplay,
  registryAudit,
] as unknown as readonly RegistryTool[];

const INSTRUCTIONS =
  "mcp-hangar fronts a registry of MCP providers. Their tools may be listed directly as <provider>__<tool> (call them like any tool; a cold provider is started first). registry_list shows the providers, registry_tools shows a provider's tools and their schemas, registry_invoke calls any provider tool by provider and name. On errors, follow the hints in the result.";

const listing = (tool: RegistryTool): Tool => {
  const { $schema: _ignored, ...inputSchema } = z.toJSONSchema(tool.inputSchema, { io: 'input' }) as Record<string, unknown>;
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: inputSchema as Tool['inputSchema'],
    annotations: { title: tool.title, ...tool.annotations },
  };
};

// registry_search_tools is callable in every mode but listed only with `expose: search` (see search-surface.ts).
const byName = new Map([...REGISTRY_TOOLS, SEARCH_TOOL].map((t) => [t.name, t]));
const tools = REGISTRY_TOOLS.map(listing);
const registryNames = [...byName.keys()];
const searchTools = searchListing(listing);

/**
 * The exposure of one booted application, recomputed only after an event that may change the catalog's
 * tools (`onCatalogToolsChanged` marks it stale): `takes` on the hot path is one map lookup.
 */
class ExposureCache {
  private current: Exposure | undefined;
  private searchIndex: (() => ToolSearchIndex) | undefined;

  constructor(private readonly app: Application) {}

  get(): Exposure {
    if (this.current !== undefined) return this.current;
    const config = this.app.exposure.config;
    this.current = computeExposure({
      config,
      providers: this.app.exposure.providers,
      catalog: this.app.catalogTools(),
      reserved: registryNames,
      registryTools: tools,
      searchTools,
    });
    this.searchIndex = indexOnce(this.current.searchable);
    // With `expose: search` the index is built with the exposure (after a catalogue change, off the request path).
    if (config.mode === 'search') this.searchIndex();
    return this.current;
  }

  /** The search index of the current exposure. */
  index(): ToolSearchIndex {
    this.get();
    return this.searchIndex!();
  }

  invalidate(): void {
    this.current = undefined;
    this.searchIndex = undefined;
  }
}

/** A direct tool's call as the registry_invoke input it stands for: its arguments as given, the provider's own timeout. */
const directInput = (call: RegistryCall, target: { provider: string; tool: string }) => {
  let args = acceptToolArguments(call.arguments);
  if (args === undefined) {
    const parsed = toolArgumentsSchema.safeParse(call.arguments);
    if (!parsed.success) throw invalidArguments(call.name, parsed.error);
    args = parsed.data;
  }
  return { provider: target.provider, tool: target.tool, arguments: args, timeout: undefined };
};

const invalidArguments = (tool: string, error: z.ZodError) =>
  new DomainError('INVALID_ARGUMENTS', `invalid arguments for ${tool}: ${error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`, {
    retryable: false,
    hints: [`Check the inputSchema of ${tool} in tools/list`],
  });

/**
 * Serves one call of a registry tool, whichever path brought it: finds the tool, checks its input (the
 * tool's hand check first, when it has one, else its schema), takes from the rate limit, runs the handler,
 * and turns every failure into the rich error result. Never rejects.
 */
const serveCall = async (app: Application, exposure: ExposureCache, call: RegistryCall, logger: Logger): Promise<ToolCallResult> => {
  const correlationId = app.ids.correlationId();
  const target = byName.has(call.name) ? undefined : exposure.get().byName.get(call.name);
  // A direct tool is served as the registry_invoke of its provider's tool.
  const tool = target === undefined ? byName.get(call.name) : byName.get(registryInvoke.name);
  try {
    if (!tool) {
      throw new DomainError('TOOL_NOT_FOUND', `the hangar has no tool '${call.name}'`, {
        retryable: false,
        hints: ['Use tools/list to see the tools; any provider tool can also be called through registry_invoke'],
      });
    }
    let input: unknown;
    if (target !== undefined) input = directInput(call, target);
    else {
      const args = call.arguments ?? {};
      input = tool.accept?.(args);
      if (input === undefined) {
        const parsed = tool.inputSchema.safeParse(args);
        if (!parsed.success) throw invalidArguments(tool.name, parsed.error);
        input = parsed.data;
      }
    }
    const named = input as { provider?: string; tool?: string };
    // One bucket per caller (per session when none is known; one for the whole stdio client), and per tool.
    const owner = call.caller ?? call.session;
    const key = named.provider === undefined ? tool.name : `${named.provider}/${named.tool ?? tool.name}`;
    app.rateLimiter.take(owner === undefined ? key : `${owner}\u0000${key}`);
    const { progressToken, sendProgress } = call;
    const context: ToolContext = {
      app,
      correlationId,
      ...(call.caller === undefined ? {} : { caller: call.caller }),
      signal: call.signal,
      toolSearch: () => exposure.index(),
      progress:
        progressToken === undefined
          ? undefined
          : (progress, total, message) => sendProgress({ progressToken, progress, ...(total === undefined ? {} : { total }), ...(message ? { message } : {}) }),
    };
    return await tool.handler(input, context);
  } catch (error) {
    const failed = target === undefined ? errorResult : directErrorResult;
    if (isDomainError(error)) return failed(error, correlationId);
    logger.error('registry tool failed unexpectedly', {
      tool: call.name,
      correlationId,
      ...(call.caller === undefined ? {} : { caller: call.caller }),
      error: error instanceof Error ? error.stack : String(error),
    });
    return failed(
      new DomainError('INTERNAL_ERROR', `internal error in ${call.name}: ${error instanceof Error ? error.message : String(error)}`),
      correlationId,
    );
  }
};

/** The hangar's MCP server, ready to serve any number of transports (stdio; one per session over HTTP). */
export interface HangarServer {
  /** Serves `transport` (its own SDK server for the protocol, the lean lane for the tool calls it takes) until it closes. */
  connect(transport: Transport): Promise<LaneHandle>;
  /** Closes every transport still served. */
  close(): Promise<void>;
}

/**
 * Builds the hangar's MCP server: the low-level SDK `Server` for initialize, tools/list and the registry
 * tools, with input validation and the rich error shape, and in front of it the lean lane
 * ({@link serveToolCallLane}) that serves the calls of the tools with a hand check (registry_invoke) past
 * the SDK's request machinery and forwards their results unchanged. Transport-agnostic.
 */
export const createHangarServer = (ready: Application | Promise<Application>, logger: Logger, version: string): HangarServer => {
  let booted: { app: Application; exposure: ExposureCache } | undefined;
  const servers = new Set<Server>();
  let unsubscribe: (() => void) | undefined;
  let announced: string | undefined;
  let checking = false;
  /** After a burst of catalog events: tells every session, once, when the listing really changed. */
  const checkListing = (): void => {
    if (checking || booted === undefined) return;
    checking = true;
    queueMicrotask(() => {
      checking = false;
      if (booted === undefined) return;
      const exposure = booted.exposure.get();
      if (exposure.digest === announced) return;
      announced = exposure.digest;
      for (const collision of exposure.collisions) logger.warn('direct tool name collision', { detail: collision });
      logger.info('tool list changed', { direct_tools: exposure.tools.length });
      for (const server of servers) void server.sendToolListChanged().catch(() => undefined);
    });
  };
  const appReady = Promise.resolve(ready).then((app) => {
    const exposure = new ExposureCache(app);
    booted = { app, exposure };
    const first = exposure.get();
    announced = first.digest;
    for (const collision of first.collisions) logger.warn('direct tool name collision', { detail: collision });
    unsubscribe = app.onCatalogToolsChanged(() => {
      exposure.invalidate();
      checkListing();
    });
    return booted;
  });
  appReady.catch(() => undefined);
  // Resources, prompts, completions and logging of the running providers (see aggregation.ts).
  const aggregation = createAggregation(
    appReady.then((b) => b.app),
    () => servers,
    logger,
  );
  const serve = (call: RegistryCall): Promise<ToolCallResult> =>
    booted ? serveCall(booted.app, booted.exposure, call, logger) : appReady.then((b) => serveCall(b.app, b.exposure, call, logger));
  /** An SDK server for one transport: the SDK's Protocol serves one connection, so each transport (stdio, each HTTP session) gets its own. */
  const newServer = (): Server => {
    const capabilities = {
      tools: { listChanged: true },
      resources: { listChanged: true },
      prompts: { listChanged: true },
      completions: {},
      logging: {},
    };
    const server = new Server({ name: 'mcp-hangar', version }, { capabilities, instructions: INSTRUCTIONS });
    aggregation.register(server);
    server.setRequestHandler(ListToolsRequestSchema, async () => {
      const exposure = (booted ?? (await appReady)).exposure.get();
      return { tools: [...exposure.registryListing, ...exposure.tools] };
    });
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) =>
      serve({
        name: request.params.name,
        arguments: request.params.arguments,
        progressToken: request.params._meta?.progressToken,
        signal: extra.signal,
        sendProgress: (params) => extra.sendNotification({ method: 'notifications/progress', params }),
        ...identityOf(extra.authInfo, extra.sessionId),
      }),
    );
    return server;
  };
  const laneTools = new Set(REGISTRY_TOOLS.filter((t) => t.accept !== undefined).map((t) => t.name));
  // A direct tool is a lane tool once the registry is booted (before, its call takes the SDK path and waits for the boot).
  const takes = (name: string): boolean => laneTools.has(name) || (booted !== undefined && booted.exposure.get().byName.has(name));
  return {
    connect: async (transport) => {
      const server = newServer();
      servers.add(server);
      server.onclose = () => servers.delete(server);
      await server.connect(transport);
      return serveToolCallLane(transport, { takes, serve, logger });
    },
    close: async () => {
      unsubscribe?.();
      aggregation.close();
      await Promise.all([...servers].map((server) => server.close()));
    },
  };
};
