/**
 * The bench's baseline for HTTP: the example math provider's `add`, served directly over Streamable HTTP
 * with sessions (one SDK server per session, as the SDK's examples do). Prints `http://127.0.0.1:PORT/mcp`
 * on stdout once it listens.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const sessions = new Map<string, StreamableHTTPServerTransport>();

const newSession = async (): Promise<StreamableHTTPServerTransport> => {
  const server = new McpServer({ name: 'math-http', version: '1.0.0' });
  server.registerTool('add', { description: 'Add two numbers', inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
    content: [{ type: 'text' as const, text: String(a + b) }],
    structuredContent: { result: a + b },
  }));
  const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
    sessionIdGenerator: randomUUID,
    onsessioninitialized: (id) => void sessions.set(id, transport),
  });
  transport.onclose = () => {
    if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
  };
  await server.connect(transport);
  return transport;
};

const readBody = (req: IncomingMessage): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(chunks.length === 0 ? undefined : JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        reject(error);
      }
    });
    req.on('error', reject);
  });

const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
  const id = req.headers['mcp-session-id'];
  const body = req.method === 'POST' ? await readBody(req) : undefined;
  const transport = typeof id === 'string' ? sessions.get(id) : await newSession();
  if (transport === undefined) {
    res.writeHead(404).end();
    return;
  }
  await transport.handleRequest(req, res, body);
};

const http = createServer((req, res) => void handle(req, res).catch(() => res.writeHead(500).end()));
http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  if (address !== null && typeof address === 'object') process.stdout.write(`http://127.0.0.1:${address.port}/mcp\n`);
});
