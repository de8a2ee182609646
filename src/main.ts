#!/usr/bin/env node
// The bin. It sizes V8's heap before anything else is loaded — ESM loads and compiles a module's whole static
// import graph before it runs any of it — and only then loads the command line.
import './young-generation.js';

await import('./cli.js');
