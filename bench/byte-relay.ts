/**
 * The floor of any stdio proxy: a byte relay that parses nothing. `node byte-relay.js server.js` spawns
 * the server and copies stdin to it and its stdout back. The benchmark measures it next to the hangar so
 * that the cost of the extra hop itself is visible on the machine at hand.
 */
import { spawn } from 'node:child_process';

const child = spawn(process.execPath, process.argv.slice(2), { stdio: ['pipe', 'pipe', 'inherit'] });
process.stdin.pipe(child.stdin);
child.stdout.pipe(process.stdout);
child.on('exit', (code) => process.exit(code ?? 0));
