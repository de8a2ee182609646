/**
 * A tool exactly as the provider described it in `tools/list` (name, title, description, inputSchema,
 * outputSchema, annotations, _meta, ...), kept as plain JSON so nothing the provider said is lost.
 */
export interface ToolDefinition {
  readonly name: string;
  readonly description?: string;
  readonly inputSchema?: Readonly<Record<string, unknown>>;
  readonly [key: string]: unknown;
}

/** The mode a provider runs in; only `subprocess` has a runtime today. */
export type ProviderMode = 'subprocess' | 'container' | 'remote' | 'group';

/** The operational settings of a provider, as registered (no secrets). */
export interface ProviderSettings {
  readonly idleTtlS: number;
  readonly healthCheckIntervalS: number;
  readonly maxConsecutiveFailures: number;
  readonly timeoutS: number;
  readonly circuitBreaker: { readonly failureThreshold: number; readonly resetTimeoutS: number };
}

/** What registering a provider records: its shape without secrets, and a digest of the full config. */
export interface ProviderRegistration {
  readonly mode: ProviderMode;
  readonly description: string;
  readonly configDigest: string;
  readonly settings: ProviderSettings;
  readonly predefinedTools: readonly ToolDefinition[];
}
