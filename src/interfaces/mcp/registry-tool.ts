import type { z } from 'zod';
import type { ToolCallResult } from '../../application/ports/provider-runtime.js';
import type { CancelSignal } from '../../application/ports/cancel-signal.js';
import type { Application } from '../../application/application.js';
import type { ToolSearchIndex } from './tool-search.js';

/** What a registry tool's handler gets besides its parsed input. */
export interface ToolContext {
  readonly app: Application;
  readonly correlationId: string;
  /** Who asks (an authenticated HTTP caller); recorded with the events the call causes. */
  readonly caller?: string | undefined;
  /** Aborted when the client cancels the request. */
  readonly signal: CancelSignal;
  /** Sends a progress notification when the client asked for progress; a no-op otherwise. */
  readonly progress?: ((progress: number, total: number | undefined, message: string | undefined) => Promise<void>) | undefined;
  /** The search index of the exposed tools, built once per catalogue change (registry_search_tools). */
  readonly toolSearch?: (() => ToolSearchIndex) | undefined;
}

/** One registry tool: a name, a description written for a model, a zod input schema and a handler. */
export interface RegistryTool<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly inputSchema: S;
  readonly annotations: {
    readonly readOnlyHint?: boolean;
    readonly destructiveHint?: boolean;
    readonly idempotentHint?: boolean;
    readonly openWorldHint?: boolean;
  };
  readonly handler: (input: z.output<S>, context: ToolContext) => Promise<ToolCallResult>;
  /**
   * A hand check of the input, for a tool served on the lean lane (see `tool-call-lane.ts`): the input the
   * schema would accept, or undefined for anything else (the schema then decides and words the error).
   */
  readonly accept?: (input: unknown) => z.output<S> | undefined;
}

/** Keeps each tool file's input type inferred from its schema. */
export const defineTool = <S extends z.ZodType>(tool: RegistryTool<S>): RegistryTool<S> => tool;

/** A result with a human-readable text and the same data as structuredContent. */
export const dataResult = (text: string, data: Record<string, unknown>): ToolCallResult => ({
  content: [{ type: 'text', text }],
  structuredContent: data,
});
