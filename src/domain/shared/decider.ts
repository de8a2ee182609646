/**
 * A decider is the pure heart of an aggregate: `decide` turns a command and the current state into the
 * events that record what happened (an empty array: nothing happened), `evolve` folds one event into the
 * state. Neither performs I/O, reads a clock or draws random numbers; time and ids arrive in commands.
 */
export interface Decider<Command, Event, State> {
  readonly initialState: () => State;
  readonly decide: (command: Command, state: State) => readonly Event[];
  readonly evolve: (state: State, event: Event) => State;
}

/** Folds a sequence of events into a state with the decider's `evolve`. */
export const fold = <Command, Event, State>(decider: Decider<Command, Event, State>, events: Iterable<Event>, from: State = decider.initialState()): State => {
  let state = from;
  for (const event of events) state = decider.evolve(state, event);
  return state;
};

/** Exhaustiveness guard for discriminated unions. */
export const assertNever = (value: never): never => {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
};
