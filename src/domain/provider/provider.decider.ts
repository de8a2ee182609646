import type { Decider } from '../shared/decider.js';
import type { ProviderCommand } from './commands.js';
import { decide } from './decide.js';
import type { ProviderEvent } from './events.js';
import { evolve } from './evolve.js';
import type { ProviderState } from './state.js';

/** The Provider aggregate as a decider. */
export const providerDecider: Decider<ProviderCommand, ProviderEvent, ProviderState> = {
  initialState: () => ({ status: 'unregistered' }),
  decide,
  evolve,
};
