import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { CancelSignal } from '../../application/ports/cancel-signal.js';
import type { Logger } from '../../application/ports/logger.js';
import { jsonTextOf, type ToolCallResult } from '../../application/ports/provider-runtime.js';

/** Sends a progress notification for the request being served, under the caller's token. */
export type SendProgress = (params: { progressToken: string | number; progress: number; total?: number; message?: string }) => Promise<void>;

/** One `tools/call` as either path (the SDK's or the lean lane) hands it to the registry. */
export interface RegistryCall {
  readonly name: string;
  readonly arguments: unknown;
  readonly progressToken: string | number | undefined;
  /** Aborted when the client cancels the request. */
  readonly signal: CancelSignal;
  readonly sendProgress: SendProgress;
  /** Who asks: an authenticated HTTP caller's name (a token's name, a JWT's subject); absent over stdio. */
  readonly caller?: string | undefined;
  /** The client's session (HTTP): whose rate limit applies when no caller is known. */
  readonly session?: string | undefined;
}

/** What the lane serves, and how. */
export interface ToolCallLane {
  /** Whether the lane serves calls of the tool with this name. */
  readonly takes: (name: string) => boolean;
  /** Serves one call; never rejects (failures are error results). */
  readonly serve: (call: RegistryCall) => Promise<ToolCallResult>;
  readonly logger: Logger;
}

/** A transport that can send a message given as its JSON text (see `StdioServerLineTransport.sendRaw`). */
interface RawSending {
  sendRaw(json: string, options?: TransportSendOptions): Promise<void>;
}
const sendsRaw = (transport: Transport): transport is Transport & RawSending => typeof (transport as Partial<RawSending>).sendRaw === 'function';

type Json = Record<string, unknown>;

/**
 * Who sends a message, as the transport knows it: the caller an HTTP authenticator put in `authInfo.extra.caller`
 * (a token's name, a JWT's subject), and the session id.
 */
export const identityOf = (authInfo: AuthInfo | undefined, sessionId: string | undefined): { caller?: string; session?: string } => {
  const caller = authInfo?.extra?.['caller'];
  return {
    ...(typeof caller === 'string' ? { caller } : {}),
    ...(sessionId !== undefined ? { session: sessionId } : {}),
  };
};

/** The cancellation of one call on the lane: an abort signal without the EventTarget (and its cost) behind one. */
class CallCancellation implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] | undefined;

  addEventListener(_type: 'abort', listener: () => void): void {
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const index = this.listeners?.indexOf(listener) ?? -1;
    if (index !== -1) this.listeners?.splice(index, 1);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners ?? [];
    this.listeners = undefined;
    for (const listener of listeners) listener();
  }
}
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The lean lane for tool calls. Installed on a transport after the SDK server connected to it, it takes
 * the `tools/call` requests of the tools it `takes` (and the `notifications/cancelled` for them) before
 * the SDK sees them, and hands every other message to the SDK server unchanged. A call on the lane costs
 * no schema parse of the request or the result and no SDK request bookkeeping; its result is written as
 * the provider sent it — its own JSON text when the runtime kept it (see `jsonTextOf`) and the transport
 * can send text — so that nothing in it is dropped, re-ordered or rounded. Progress and cancellation
 * work as on the SDK's path; a cancelled request gets no response, as MCP asks.
 *
 * It sits at the SDK `Transport` boundary (`onmessage` / `send`), so every transport (stdio, each HTTP
 * session) gets the same lane.
 */
/** A lane installed on a transport, for a transport adapter that answers some calls itself (HTTP's JSON responses). */
export interface LaneHandle {
  /**
   * Serves a `tools/call` the adapter took off the wire itself, when the lane takes it (undefined otherwise):
   * the answer's JSON text (the provider's own result text when it was kept), or undefined when the client
   * cancelled it meanwhile (MCP sends no response then). Its `notifications/cancelled` still arrives
   * through the transport, and finds it.
   */
  direct(id: RequestId, params: unknown, authInfo: AuthInfo | undefined): Promise<string | undefined> | undefined;
}

/** The JSON text of a response carrying `result`: the provider's own text when it was kept. */
const responseText = (id: RequestId, result: ToolCallResult): string =>
  `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${jsonTextOf(result) ?? JSON.stringify(result)}}`;

export const serveToolCallLane = (transport: Transport, lane: ToolCallLane): LaneHandle => {
  const sdk = transport.onmessage;
  if (sdk === undefined) throw new Error('serveToolCallLane: connect the SDK server to the transport first');
  const inFlight = new Map<RequestId, CallCancellation>();

  const reply = (id: RequestId, result: ToolCallResult): Promise<void> => {
    if (jsonTextOf(result) !== undefined && sendsRaw(transport)) return transport.sendRaw(responseText(id, result), { relatedRequestId: id });
    return transport.send({ jsonrpc: '2.0', id, result: result as Json }, { relatedRequestId: id });
  };

  /** Serves one call; resolves to its result, or undefined when it was cancelled meanwhile. Never rejects. */
  const run = async (id: RequestId, params: Json, authInfo: AuthInfo | undefined): Promise<ToolCallResult | undefined> => {
    const cancellation = new CallCancellation();
    inFlight.set(id, cancellation);
    try {
      const meta = params['_meta'];
      const token = isObject(meta) ? meta['progressToken'] : undefined;
      const result = await lane.serve({
        name: params['name'] as string,
        arguments: params['arguments'],
        progressToken: typeof token === 'string' || typeof token === 'number' ? token : undefined,
        signal: cancellation,
        sendProgress: (progress) => transport.send({ jsonrpc: '2.0', method: 'notifications/progress', params: progress }, { relatedRequestId: id }),
        ...identityOf(authInfo, transport.sessionId),
      });
      return cancellation.aborted ? undefined : result;
    } finally {
      inFlight.delete(id);
    }
  };

  const serve = async (id: RequestId, params: Json, extra: MessageExtraInfo | undefined): Promise<void> => {
    try {
      const result = await run(id, params, extra?.authInfo);
      if (result !== undefined) await reply(id, result);
    } catch (error) {
      lane.logger.warn('could not answer a tool call', {
        id,
        ...identityOf(extra?.authInfo, transport.sessionId),
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };

  const takes = (params: unknown): params is Json => isObject(params) && typeof params['name'] === 'string' && lane.takes(params['name']);

  transport.onmessage = (message: JSONRPCMessage, extra?: MessageExtraInfo) => {
    const { method, params, id } = message as { method?: unknown; params?: unknown; id?: RequestId };
    if (method === 'tools/call' && id !== undefined && takes(params)) {
      void serve(id, params, extra);
      return;
    }
    if (method === 'notifications/cancelled' && isObject(params)) {
      const cancellation = inFlight.get(params['requestId'] as RequestId);
      if (cancellation !== undefined) {
        cancellation.abort(params['reason']);
        return;
      }
    }
    sdk.call(transport, message, extra);
  };

  return {
    direct: (id, params, authInfo) =>
      takes(params) ? run(id, params, authInfo).then((result) => (result === undefined ? undefined : responseText(id, result))) : undefined,
  };
};
