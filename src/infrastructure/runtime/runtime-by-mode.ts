import type { LaunchMode, LaunchSpec, ProviderRuntime } from '../../application/ports/provider-runtime.js';
import { assertNever } from '../../domain/shared/decider.js';

/** One runtime per launch mode; a mode without one does not compile. */
export type RuntimesByMode = { readonly [M in LaunchMode]: ProviderRuntime<Extract<LaunchSpec, { readonly mode: M }>> };

/**
 * The runtime the application sees: it hands each provider to the runtime of its mode (subprocess
 * today; a container or remote runtime is one more entry here and one more variant of LaunchSpec).
 */
export const runtimeByMode = (runtimes: RuntimesByMode): ProviderRuntime => ({
  start(provider, launch, options) {
    switch (launch.mode) {
      case 'subprocess':
        return runtimes.subprocess.start(provider, launch, options);
      default:
        return assertNever(launch.mode);
    }
  },
});
