import { isInstanceId, isProviderId, type InstanceId, type ProviderId } from './ids.js';

/**
 * Stream names, the one place they are made and read. A provider's lifecycle as run by one instance is
 * `provider-<id>@<instance>`; an instance's own lifecycle is `instance-<instance>`. `@` cannot occur in a
 * provider id, so `provider-<id>@` is the prefix of every stream of that provider and of no other.
 * Stores written before instances existed hold `provider-<id>` (no instance).
 */
export const providerStreamId = (provider: ProviderId, instance: InstanceId): string => `provider-${provider}@${instance}`;

/** Every stream of `provider` starts with this (legacy `provider-<id>` is the prefix without its `@`). */
export const providerStreamPrefix = (provider: ProviderId): string => `provider-${provider}@`;

/** The stream a provider had before instances existed. */
export const legacyProviderStreamId = (provider: ProviderId): string => `provider-${provider}`;

export const instanceStreamId = (instance: InstanceId): string => `instance-${instance}`;

export type ParsedStream =
  | { readonly kind: 'provider'; readonly provider: ProviderId; readonly instance: InstanceId | null }
  | { readonly kind: 'instance'; readonly instance: InstanceId };

/** What a stream id names, or null for a stream this build does not know. */
export const parseStreamId = (streamId: string): ParsedStream | null => {
  if (streamId.startsWith('provider-')) {
    const rest = streamId.slice('provider-'.length);
    const at = rest.indexOf('@');
    const provider = at === -1 ? rest : rest.slice(0, at);
    const instance = at === -1 ? null : rest.slice(at + 1);
    if (!isProviderId(provider)) return null;
    if (instance === null) return { kind: 'provider', provider, instance: null };
    return isInstanceId(instance) ? { kind: 'provider', provider, instance } : null;
  }
  if (streamId.startsWith('instance-')) {
    const instance = streamId.slice('instance-'.length);
    return isInstanceId(instance) ? { kind: 'instance', instance } : null;
  }
  return null;
};
