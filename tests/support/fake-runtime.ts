import { DomainError, type DomainErrorDetails } from '../../src/domain/shared/errors.js';
import type { ProviderId } from '../../src/domain/shared/ids.js';
import type { ToolDefinition } from '../../src/domain/provider/tool-definition.js';
import type {
  CallOptions,
  LaunchSpec,
  ProviderConnection,
  ProviderDiagnostics,
  ProviderExit,
  ProviderRuntime,
  StartOptions,
  ToolCallResult,
} from '../../src/application/ports/provider-runtime.js';
import type { ManualClock } from './manual-clock.js';

/** A promise the test settles by hand. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export const deferred = <T = void>(): Deferred<T> => {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

/**
 * One turn of the event loop: every promise chain that waits on nothing outside the process settles
 * (in-memory appends, bus deliveries, fire-and-forget recordings). No time passes on any clock.
 */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A call a fake connection received. */
export interface FakeCall {
  readonly provider: ProviderId;
  readonly name: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly options: CallOptions;
}

/** What a call answers: a result, an error to reject with, or a function of the call (it may return a promise the test holds). */
export type Reply = ToolCallResult | Error | ((call: FakeCall) => ToolCallResult | Promise<ToolCallResult>);

/** What a start does: succeed, fail with an error, or wait for a gate (resolved: it succeeds; rejected: it fails with the reason). */
export type StartOutcome = 'ok' | Error | Deferred<void>;

export const textResult = (text: string): ToolCallResult => ({ content: [{ type: 'text', text }] });

/** A start failure as the process runtime reports one. */
export const startFailure = (message: string, details: Pick<DomainErrorDetails, 'exitCode' | 'signal' | 'stderrTail' | 'hints'> = {}): DomainError =>
  new DomainError('PROVIDER_START_FAILED', message, { retryable: true, ...details });

/** A failure of a call as a connection reports one (TIMEOUT, PROVIDER_CRASHED, ...). */
export const callFailure = (code: DomainError['code'], message = `the call failed: ${code}`, details: DomainErrorDetails = {}): DomainError =>
  new DomainError(code, message, details);

/** A connection the test ends by hand; its calls answer what the runtime was told to answer. */
export class FakeConnection implements ProviderConnection {
  readonly protocolVersion = '2025-06-18';
  readonly serverInfo = { name: 'fake', version: '1.0.0' };
  readonly calls: FakeCall[] = [];
  /** How often stop() was called. */
  stops = 0;
  private readonly inFlight = new Set<(error: DomainError) => void>();
  private readonly ended = deferred<ProviderExit>();
  private over = false;
  readonly exited: Promise<ProviderExit> = this.ended.promise;

  constructor(
    readonly provider: ProviderId,
    readonly pid: number,
    readonly tools: readonly ToolDefinition[],
    private readonly runtime: FakeRuntime,
  ) {}

  async callTool(name: string, args: Readonly<Record<string, unknown>>, options: CallOptions): Promise<ToolCallResult> {
    if (this.over) throw new DomainError('PROVIDER_UNAVAILABLE', `provider '${this.provider}' is not running`, { retryable: true });
    const call: FakeCall = { provider: this.provider, name, args, options };
    this.calls.push(call);
    const cut = deferred<never>();
    this.inFlight.add(cut.reject);
    this.runtime.received(call);
    try {
      return await Promise.race([this.runtime.answer(call), cut.promise]);
    } finally {
      this.inFlight.delete(cut.reject);
    }
  }

  /** A fake provider declares no capabilities beyond tools: forwarded requests are refused. */
  readonly capabilities: Readonly<Record<string, unknown>> = { tools: {} };

  async request(method: string): Promise<Readonly<Record<string, unknown>>> {
    throw new DomainError('INTERNAL_ERROR', `'${this.provider}' refused '${method}': MCP error -32601: Method not found`, { retryable: false });
  }

  async listTools(): Promise<readonly ToolDefinition[]> {
    return this.tools;
  }

  onNotification(): () => void {
    return () => undefined;
  }

  async ping(): Promise<void> {}

  /** Ends the provider as asked: in-flight calls fail with PROVIDER_UNAVAILABLE, `exited` settles as expected. */
  stop(): Promise<void> {
    this.stops++;
    this.end({ expected: true, exitCode: null, signal: 'SIGTERM', stderrTail: '', interruptedCalls: this.inFlight.size }, 'PROVIDER_UNAVAILABLE');
    return Promise.resolve();
  }

  /**
   * Ends the provider by itself, the way the port promises: its in-flight calls fail first
   * (PROVIDER_CRASHED), `exited` settles after their rejections were delivered; resolves once whatever
   * the exit set off has settled.
   */
  async exit(exit: Partial<ProviderExit> = {}): Promise<void> {
    const full: ProviderExit = { expected: false, exitCode: 1, signal: null, stderrTail: '', interruptedCalls: this.inFlight.size, ...exit };
    this.end(full, full.expected ? 'PROVIDER_UNAVAILABLE' : 'PROVIDER_CRASHED');
    await this.exited;
    await settle();
  }

  diagnostics(): ProviderDiagnostics {
    return { stderrTail: '', skippedStdoutLines: 0, lastSkippedLines: [] };
  }

  private end(exit: ProviderExit, code: 'PROVIDER_UNAVAILABLE' | 'PROVIDER_CRASHED'): void {
    if (this.over) return;
    this.over = true;
    const { exitCode, signal, stderrTail } = exit;
    for (const fail of this.inFlight)
      fail(new DomainError(code, `provider '${this.provider}' ended during a call`, { exitCode, signal, stderrTail, retryable: true }));
    // Like the process runtime: `exited` settles only after the in-flight calls' rejections were delivered.
    setImmediate(() => this.ended.resolve(exit));
  }
}

/**
 * A ProviderRuntime scripted by the test: the tools its providers list, what each start does, what
 * each call answers. Starts and calls are recorded.
 */
export class FakeRuntime implements ProviderRuntime {
  /** The tools the next started provider lists. */
  tools: readonly ToolDefinition[] = [];
  /** How long a start takes on the clock (when the runtime was given one). */
  startTakesMs = 0;
  readonly starts: { readonly provider: ProviderId; readonly launch: LaunchSpec; readonly options: StartOptions }[] = [];
  readonly connections: FakeConnection[] = [];
  /** Every call, over every connection. */
  readonly calls: FakeCall[] = [];
  private readonly startOutcomes: StartOutcome[] = [];
  private readonly replies: Reply[] = [];
  private readonly waiters: { readonly ready: () => boolean; readonly resolve: () => void }[] = [];

  constructor(private readonly clock?: ManualClock) {}

  /** What the next starts do, in order; after them every start succeeds. */
  onStart(...outcomes: StartOutcome[]): this {
    this.startOutcomes.push(...outcomes);
    return this;
  }

  /** What the next calls answer, in order; after them every call answers `<tool> ok`. */
  onCall(...replies: Reply[]): this {
    this.replies.push(...replies);
    return this;
  }

  /** The connection started last. */
  get connection(): FakeConnection {
    const last = this.connections.at(-1);
    if (!last) throw new Error('no provider was started');
    return last;
  }

  /** Resolves once `n` starts (in all) have been asked for. */
  whenStarts(n: number): Promise<void> {
    return this.when(() => this.starts.length >= n);
  }

  /** Resolves once `n` calls (in all) have reached a provider. */
  whenCalls(n: number): Promise<void> {
    return this.when(() => this.calls.length >= n);
  }

  async start(provider: ProviderId, launch: LaunchSpec, options: StartOptions): Promise<ProviderConnection> {
    this.starts.push({ provider, launch, options });
    this.notify();
    const outcome = this.startOutcomes.shift() ?? 'ok';
    if (outcome instanceof Error) throw outcome;
    if (outcome !== 'ok') await outcome.promise;
    this.clock?.advance(this.startTakesMs);
    const connection = new FakeConnection(provider, 4200 + this.connections.length, this.tools, this);
    this.connections.push(connection);
    return connection;
  }

  /** @internal The answer to a call, from the script. */
  answer(call: FakeCall): Promise<ToolCallResult> {
    const reply = this.replies.shift() ?? ((c: FakeCall) => textResult(`${c.name} ok`));
    if (reply instanceof Error) return Promise.reject(reply);
    if (typeof reply === 'function') return new Promise((resolve) => resolve(reply(call)));
    return Promise.resolve(reply);
  }

  /** @internal */
  received(call: FakeCall): void {
    this.calls.push(call);
    this.notify();
  }

  private when(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ ready, resolve }));
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) {
      if (!waiter.ready()) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}
