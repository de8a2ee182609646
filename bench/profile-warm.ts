/** Drives warm registry_invoke calls at a hangar started with extra node flags (e.g. --cpu-prof); prints calls/s. */
import { HANGAR_MAIN, connect, hangarConfig, mathProvider, throughput } from './harness.js';

const flags = (process.env['HANGAR_NODE_FLAGS'] ?? '').split(' ').filter(Boolean);
const cfg = hangarConfig(mathProvider('math'));
const hangar = await connect([...flags, HANGAR_MAIN, 'serve', '--config', cfg.path]);
const call = () => hangar.client.callTool({ name: 'registry_invoke', arguments: { provider: 'math', tool: 'add', arguments: { a: 1, b: 2 } } });
await throughput(call, 500, 1);
const seq = await throughput(call, 3000, 1);
const par = await throughput(call, 6000, 16);
process.stdout.write(`${flags.join(' ') || '(no flags)'}: sequential ${seq.toFixed(0)} calls/s, 16 in flight ${par.toFixed(0)} calls/s\n`);
await hangar.close();
cfg.cleanup();
