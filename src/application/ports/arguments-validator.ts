/** Checks tool arguments against a tool's JSON Schema before a provider is bothered with them. */
export interface ArgumentsValidator {
  /**
   * Returns the problems (one line each, naming the argument) or an empty array when the arguments fit.
   * A schema the validator cannot compile is treated as accepting anything: the provider decides then.
   * `subject` (the provider and tool, `math.add`) names the schema in what the validator logs about it.
   */
  validate(schema: Readonly<Record<string, unknown>> | undefined, args: unknown, subject?: string): readonly string[];
}
