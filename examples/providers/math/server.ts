#!/usr/bin/env node
/**
 * The example `math` provider: a small MCP server over stdio with add, subtract, multiply and divide.
 * Division by zero is a tool error (a result with isError), not a protocol error.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'math', version: '1.0.0' });
const operands = { a: z.number().describe('First operand'), b: z.number().describe('Second operand') };
const output = { result: z.number() };

const answer = (result: number) => ({
  content: [{ type: 'text' as const, text: String(result) }],
  structuredContent: { result },
});

server.registerTool(
  'add',
  { title: 'Add', description: 'Add two numbers', inputSchema: operands, outputSchema: output, annotations: { readOnlyHint: true } },
  async ({ a, b }) => answer(a + b),
);
server.registerTool(
  'subtract',
  { title: 'Subtract', description: 'Subtract b from a', inputSchema: operands, outputSchema: output, annotations: { readOnlyHint: true } },
  async ({ a, b }) => answer(a - b),
);
server.registerTool(
  'multiply',
  { title: 'Multiply', description: 'Multiply two numbers', inputSchema: operands, outputSchema: output, annotations: { readOnlyHint: true } },
  async ({ a, b }) => answer(a * b),
);
server.registerTool(
  'divide',
  {
    title: 'Divide',
    description: 'Divide a by b; dividing by zero is an error',
    inputSchema: operands,
    outputSchema: output,
    annotations: { readOnlyHint: true },
  },
  async ({ a, b }) => {
    if (b === 0) return { isError: true, content: [{ type: 'text' as const, text: 'Division by zero: b must not be 0' }] };
    return answer(a / b);
  },
);

await server.connect(new StdioServerTransport());
