import type { HangarConfig, ProviderConfig } from '../../src/application/config.js';
import { providerId, type ProviderId } from '../../src/domain/shared/ids.js';
import type { ProviderSettings } from '../../src/domain/provider/tool-definition.js';

export const defaultSettings: ProviderSettings = {
  idleTtlS: 300,
  healthCheckIntervalS: 60,
  maxConsecutiveFailures: 3,
  timeoutS: 30,
  circuitBreaker: { failureThreshold: 5, resetTimeoutS: 30 },
};

/** A subprocess provider config for in-process tests. */
export const subprocess = (command: string[], settings: Partial<ProviderSettings> = {}, cwd = process.cwd()): ProviderConfig => ({
  launch: { mode: 'subprocess', command, env: {}, cwd },
  asWritten: { command, cwd },
  secrets: [],
  description: '',
  settings: { ...defaultSettings, ...settings },
  tools: [],
});

/** A whole hangar config for in-process tests. */
export const hangarConfig = (dbPath: string, providers: Record<string, ProviderConfig>): HangarConfig => ({
  sourcePath: '<test>',
  configDir: process.cwd(),
  eventStore: { path: dbPath },
  providers: new Map(Object.entries(providers).map(([id, p]) => [providerId(id), p])) as ReadonlyMap<ProviderId, ProviderConfig>,
  retry: { maxAttempts: 3, initialDelayMs: 1000, maxDelayMs: 30000, jitter: 0.25 },
  rateLimit: { rps: 10, burst: 20 },
  limits: { maxMessageBytes: 8 * 1024 * 1024, maxResultBytes: 8 * 1024 * 1024 },
  http: {
    host: '127.0.0.1',
    port: 0,
    sessionIdleMs: 600_000,
    shutdownGraceMs: 10_000,
    maxBodyBytes: 8 * 1024 * 1024,
    allowedOrigins: [],
    metricsAuth: false,
  },
  expose: { mode: 'both', separator: '__' },
  audit: { recordArguments: 'digest', maxArgumentBytes: 4096, anchorEvery: 1000, anchorEveryMinutes: 10 },
});
