import { REGISTRY_TOOLS } from '../src/interfaces/mcp/hangar-server.js';
import { HANGAR_MAIN, MATH_SERVER, connect, hangarConfig, latencies, mathProvider, median, percentile } from './harness.js';

export interface FrontDoorFigures {
  /** p50 of a warm `add`, in ms: the provider called directly, `math__add` through the hangar, registry_invoke of it. */
  readonly callP50: { provider: number; direct: number; invoke: number };
  /** p50 of `tools/list`, in ms, per exposure mode, with `providers` providers of `toolsEach` predefined tools. */
  readonly listP50: Record<string, number>;
  /** p50 of `registry_search_tools` over every tool of those providers (`expose: search`), in ms. */
  readonly searchP50: number;
  readonly providers: number;
  readonly toolsEach: number;
}

const ADD = { a: 1, b: 2 };

/** (a) One run, interleaved in batches: the provider directly, the direct tool `math__add`, and registry_invoke of it. */
const callComparison = async (calls: number): Promise<FrontDoorFigures['callP50']> => {
  const provider = await connect([MATH_SERVER]);
  const cfg = hangarConfig(mathProvider('math'));
  const hangar = await connect([HANGAR_MAIN, 'serve', '--config', cfg.path]);
  try {
    const ways = {
      provider: () => provider.client.callTool({ name: 'add', arguments: ADD }),
      direct: () => hangar.client.callTool({ name: 'math__add', arguments: ADD }),
      invoke: () => hangar.client.callTool({ name: 'registry_invoke', arguments: { provider: 'math', tool: 'add', arguments: ADD } }),
    };
    for (const warm of Object.values(ways)) await latencies(warm, 300);
    const samples = { provider: [] as number[], direct: [] as number[], invoke: [] as number[] };
    const batch = 100;
    for (let done = 0; done < calls; done += batch)
      for (const key of ['provider', 'direct', 'invoke'] as const) samples[key].push(...(await latencies(ways[key], batch)));
    return { provider: median(samples.provider), direct: median(samples.direct), invoke: median(samples.invoke) };
  } finally {
    await Promise.all([provider.close(), hangar.close()]);
    cfg.cleanup();
  }
};

const predefinedTools = (i: number, count: number): string =>
  `    tools:\n${Array.from(
    { length: count },
    (_, t) =>
      `      - name: tool_${t}_of_p${i}\n        description: "Tool ${t} of provider ${i}: does thing number ${t}"\n        inputSchema: { type: object, properties: { query: { type: string }, limit: { type: number } } }\n`,
  ).join('')}`;

/** (b) `tools/list` latency with `providers` cold providers of `toolsEach` predefined tools each, per exposure mode. */
const listLatency = async (providers: number, toolsEach: number, calls: number): Promise<{ listP50: Record<string, number>; searchP50: number }> => {
  const out: Record<string, number> = {};
  let searchP50 = NaN;
  for (const mode of ['registry', 'both', 'search']) {
    const cfg = hangarConfig(Array.from({ length: providers }, (_, i) => mathProvider(`p${i}`, predefinedTools(i, toolsEach))).join('') + `expose: ${mode}\n`);
    const hangar = await connect([HANGAR_MAIN, 'serve', '--config', cfg.path]);
    try {
      const list = () => hangar.client.listTools();
      const first = await list();
      const registry = REGISTRY_TOOLS.length;
      const expected = mode === 'search' ? 3 : mode === 'registry' ? registry : registry + providers * toolsEach;
      if (first.tools.length !== expected) throw new Error(`expose: ${mode}: tools/list gave ${first.tools.length} tools, expected ${expected}`);
      await latencies(list, 20);
      out[mode] = percentile(await latencies(list, calls), 50);
      if (mode === 'search') {
        let q = 0;
        const search = () =>
          hangar.client.callTool({ name: 'registry_search_tools', arguments: { query: `does thing number ${q++ % toolsEach} of provider ${q % providers}` } });
        await latencies(search, 20);
        searchP50 = percentile(await latencies(search, calls), 50);
      }
    } finally {
      await hangar.close();
      cfg.cleanup();
    }
  }
  return { listP50: out, searchP50 };
};

/** The front door: the cost of a direct tool and of registry_invoke over the provider itself; tools/list with 500 providers. */
export const benchFrontDoor = async (calls: number, providers = 500, toolsEach = 4, listCalls = 100): Promise<FrontDoorFigures> => ({
  callP50: await callComparison(calls),
  ...(await listLatency(providers, toolsEach, listCalls)),
  providers,
  toolsEach,
});
