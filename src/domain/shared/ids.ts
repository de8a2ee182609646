/** Branded string ids: a ProviderId cannot be passed where a CorrelationId is expected. */
export type Brand<T, B extends string> = T & { readonly __brand: B };

export type ProviderId = Brand<string, 'ProviderId'>;
export type CorrelationId = Brand<string, 'CorrelationId'>;

/** Provider ids: a letter, then letters, digits, `_` or `-`; at most 64 characters. */
export const PROVIDER_ID_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

export const isProviderId = (value: string): value is ProviderId => PROVIDER_ID_PATTERN.test(value);
export const providerId = (value: string): ProviderId => {
  if (!isProviderId(value)) throw new Error(`invalid provider id: ${value}`);
  return value;
};
export const correlationId = (value: string): CorrelationId => value as CorrelationId;

/** The event stream that holds a provider's history. */
export const providerStreamId = (id: ProviderId): string => `provider-${id}`;
