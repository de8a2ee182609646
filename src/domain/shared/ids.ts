/** Branded string ids: a ProviderId cannot be passed where an InstanceId is expected. */
export type Brand<T, B extends string> = T & { readonly __brand: B };

export type ProviderId = Brand<string, 'ProviderId'>;
/** A serving hangar's seat in a shared event store: "1", "2", ... (see the Instance aggregate). */
export type InstanceId = Brand<string, 'InstanceId'>;

/** Provider ids: a letter, then letters, digits, `_` or `-`; at most 64 characters. */
export const PROVIDER_ID_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const INSTANCE_ID_PATTERN = /^[1-9][0-9]{0,5}$/;

export const isProviderId = (value: string): value is ProviderId => PROVIDER_ID_PATTERN.test(value);
export const providerId = (value: string): ProviderId => {
  if (!isProviderId(value)) throw new Error(`invalid provider id: ${value}`);
  return value;
};

export const isInstanceId = (value: string): value is InstanceId => INSTANCE_ID_PATTERN.test(value);
export const instanceId = (value: string | number): InstanceId => {
  const text = String(value);
  if (!isInstanceId(text)) throw new Error(`invalid instance id: ${text}`);
  return text;
};
