import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Application } from '../../application/application.js';
import type { Logger } from '../../application/ports/logger.js';
import { DomainError, isDomainError } from '../../domain/shared/errors.js';
import { errorResult } from './error-result.js';
import type { RegistryTool, ToolContext } from './registry-tool.js';
import { registryDetails } from './tools/details.tool.js';
import { registryHistory } from './tools/history.tool.js';
import { registryHealth } from './tools/health.tool.js';
import { registryInvokeEx, registryInvokeStream } from './tools/invoke-ex.tool.js';
import { registryInvoke } from './tools/invoke.tool.js';
import { registryList } from './tools/list.tool.js';
import { registryStart } from './tools/start.tool.js';
import { registryStop } from './tools/stop.tool.js';
import { registryStatus } from './tools/status.tool.js';
import { registryTools } from './tools/tools.tool.js';
import { registryWarm } from './tools/warm.tool.js';

/** Every registry tool the hangar serves, in the order clients list them. */
const REGISTRY_TOOLS: readonly RegistryTool[] = [
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
] as unknown as readonly RegistryTool[];

const INSTRUCTIONS =
  "mcp-hangar fronts a registry of MCP providers. registry_list shows them, registry_tools shows a provider's tools and their schemas, registry_invoke calls a tool (starting the provider when it is cold). On errors, follow the hints in the result.";

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

const invalidArguments = (tool: string, error: z.ZodError) =>
  new DomainError('INVALID_ARGUMENTS', `invalid arguments for ${tool}: ${error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`, {
    retryable: false,
    hints: [`Check the inputSchema of ${tool} in tools/list`],
  });

/**
 * Builds the hangar's MCP server (low-level SDK `Server`): tools/list from the registry tools' zod
 * schemas, tools/call with input validation and the rich error shape. Transport-agnostic: stdio and
 * Streamable HTTP connect the same server.
 */
export const createHangarServer = (ready: Application | Promise<Application>, logger: Logger, version: string): Server => {
  let booted: Application | undefined;
  const appReady = Promise.resolve(ready).then((app) => (booted = app));
  appReady.catch(() => undefined);
  const server = new Server({ name: 'mcp-hangar', version }, { capabilities: { tools: {} }, instructions: INSTRUCTIONS });
  const byName = new Map(REGISTRY_TOOLS.map((t) => [t.name, t]));
  const tools = REGISTRY_TOOLS.map(listing);

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const app = booted ?? (await appReady);
    const correlationId = app.ids.correlationId();
    const tool = byName.get(request.params.name);
    try {
      if (!tool) {
        throw new DomainError('TOOL_NOT_FOUND', `the hangar has no tool '${request.params.name}'`, {
          retryable: false,
          hints: ['Use tools/list to see the registry tools; provider tools are called through registry_invoke'],
        });
      }
      const parsed = tool.inputSchema.safeParse(request.params.arguments ?? {});
      if (!parsed.success) throw invalidArguments(tool.name, parsed.error);
      const target = parsed.data as { provider?: string; tool?: string };
      app.rateLimiter.take(target.provider === undefined ? tool.name : `${target.provider}/${target.tool ?? tool.name}`);
      const progressToken = request.params._meta?.progressToken;
      const context: ToolContext = {
        app,
        correlationId,
        signal: extra.signal,
        progress:
          progressToken === undefined
            ? undefined
            : (progress, total, message) =>
                extra.sendNotification({
                  method: 'notifications/progress',
                  params: { progressToken, progress, ...(total === undefined ? {} : { total }), ...(message ? { message } : {}) },
                }),
      };
      return await tool.handler(parsed.data, context);
    } catch (error) {
      if (isDomainError(error)) return errorResult(error, correlationId);
      logger.error('registry tool failed unexpectedly', {
        tool: request.params.name,
        correlationId,
        error: error instanceof Error ? error.stack : String(error),
      });
      return errorResult(
        new DomainError('INTERNAL_ERROR', `internal error in ${request.params.name}: ${error instanceof Error ? error.message : String(error)}`),
        correlationId,
      );
    }
  });
  return server;
};
