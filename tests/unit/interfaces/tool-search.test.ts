import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { providerId } from '../../../src/domain/shared/ids.js';
import { computeExposure } from '../../../src/interfaces/mcp/exposure.js';
import { ToolSearchIndex, tokenize, type SearchableTool } from '../../../src/interfaces/mcp/tool-search.js';

const entry = (provider: string, tool: string, description: string, params: string[] = []): SearchableTool => ({
  provider,
  tool,
  definition: { name: tool, description, inputSchema: { type: 'object', properties: Object.fromEntries(params.map((p) => [p, { type: 'string' }])) } },
});

const REAL: SearchableTool[] = [
  entry('filesystem', 'read_file', 'Read the complete contents of a file from the file system', ['path']),
  entry('filesystem', 'write_file', 'Create a new file or overwrite an existing file with new content', ['path', 'content']),
  entry('filesystem', 'list_directory', 'Get a detailed listing of all files and directories in a specified path', ['path']),
  entry('filesystem', 'move_file', 'Move or rename files and directories', ['source', 'destination']),
  entry('github', 'create_issue', 'Create a new issue in a GitHub repository', ['owner', 'repo', 'title', 'body']),
  entry('github', 'list_issues', 'List issues in a GitHub repository with filtering options', ['owner', 'repo', 'state']),
  entry('github', 'create_pull_request', 'Create a new pull request in a GitHub repository', ['owner', 'repo', 'title', 'head', 'base']),
  entry('github', 'get_file_contents', 'Get the contents of a file or directory from a GitHub repository', ['owner', 'repo', 'path']),
  entry('math', 'add', 'Add two numbers', ['a', 'b']),
  entry('math', 'multiply', 'Multiply two numbers', ['a', 'b']),
  entry('slack', 'postMessage', 'Post a message to a Slack channel', ['channelId', 'text']),
  entry('postgres', 'run-query', 'Run a read-only SQL query', ['sql']),
];

/** 200+ synthetic tools whose words overlap the real ones (file, issue, create, list, read, number...). */
const VERBS = ['get', 'list', 'create', 'update', 'delete', 'search', 'sync', 'export'];
const NOUNS = ['record', 'ticket', 'document', 'event', 'user', 'invoice', 'report', 'item', 'note', 'task', 'asset', 'log'];
const synthetic: SearchableTool[] = [];
for (let p = 0; p < 20; p++)
  for (let t = 0; t < 12; t++) {
    const verb = VERBS[(p + t) % VERBS.length]!;
    const noun = NOUNS[(p * 5 + t) % NOUNS.length]!;
    synthetic.push(entry(`service${p}`, `${verb}_${noun}_${t}`, `${verb} a ${noun} in service ${p}; may read a file or number of items`, ['id', 'limit']));
  }
const catalogue = [...synthetic, ...REAL];
const index = new ToolSearchIndex(catalogue);
const first = (query: string) => {
  const hit = index.search(query, 1).hits[0];
  return hit === undefined ? undefined : `${hit.entry.provider}.${hit.entry.tool}`;
};

describe('tokenize', () => {
  it('splits snake_case, kebab-case, camelCase and punctuation, lower-cases, folds plurals, drops stop words', () => {
    assert.deepEqual(tokenize('read_file'), ['read', 'file']);
    assert.deepEqual(tokenize('run-query'), ['run', 'query']);
    assert.deepEqual(tokenize('postMessage'), ['post', 'message']);
    assert.deepEqual(tokenize('getHTTPResponse'), ['get', 'http', 'response']);
    assert.deepEqual(tokenize('Add two numbers to the list of issues'), ['add', 'two', 'number', 'list', 'issue']);
    assert.deepEqual(tokenize('files, directories & status'), ['file', 'directory', 'status']);
    assert.deepEqual(tokenize(''), []);
  });
});

describe('ToolSearchIndex (BM25F)', () => {
  it(`ranks the right tool first among ${catalogue.length} tools`, () => {
    assert.ok(catalogue.length >= 200);
    assert.equal(first('read file'), 'filesystem.read_file');
    assert.equal(first('create github issue'), 'github.create_issue');
    assert.equal(first('add numbers'), 'math.add');
    assert.equal(first('multiply'), 'math.multiply');
    assert.equal(first('open a pull request'), 'github.create_pull_request');
    assert.equal(first('send slack message'), 'slack.postMessage');
    assert.equal(first('sql query'), 'postgres.run-query');
    assert.equal(first('rename a file'), 'filesystem.move_file');
    assert.equal(first('channelId'), 'slack.postMessage');
  });

  it('a name match counts more than a description match', () => {
    const small = new ToolSearchIndex([entry('a', 'other', 'mentions widget in passing'), entry('b', 'widget', 'does something')]);
    assert.equal(small.search('widget', 5).hits[0]!.entry.provider, 'b');
  });

  it('orders ties by provider then tool, whatever the catalogue order; limits the hits and counts all matches', () => {
    const tools = [entry('zeta', 'ping', 'Ping'), entry('alpha', 'ping', 'Ping'), entry('mid', 'ping', 'Ping'), entry('alpha', 'other', 'nothing')];
    for (const order of [tools, [...tools].reverse()]) {
      const { hits, total } = new ToolSearchIndex(order).search('ping', 2);
      assert.deepEqual(
        hits.map((h) => h.entry.provider),
        ['alpha', 'mid'],
      );
      assert.equal(total, 3);
    }
  });

  it('finds nothing for words no tool has, or an empty catalogue', () => {
    assert.deepEqual(index.search('zzzz qqqq', 10), { hits: [], total: 0 });
    assert.deepEqual(new ToolSearchIndex([]).search('read', 10), { hits: [], total: 0 });
  });
});

describe('the searchable set of the exposure', () => {
  it('covers providers not in registry mode, with their filters, and gives the direct name when listed directly', () => {
    const def = (name: string) => ({ name, description: name, inputSchema: { type: 'object' } });
    const e = computeExposure({
      config: { mode: 'search', separator: '__' },
      providers: new Map([
        ['hidden', { mode: 'registry' as const }],
        ['both', { mode: 'both' as const, deny: ['secret'] }],
        ['some', { allow: ['keep*'] }],
      ]),
      catalog: [
        { provider: providerId('hidden'), tools: [def('x')] },
        { provider: providerId('both'), tools: [def('open'), def('secret')] },
        { provider: providerId('some'), tools: [def('keep_me'), def('drop_me')] },
      ],
      reserved: ['registry_invoke'],
      registryTools: [],
      searchTools: (s) => [{ name: 'registry_search_tools', description: `${s.length}`, inputSchema: { type: 'object' } }],
    });
    assert.deepEqual(
      e.searchable.map((s) => [s.provider, s.tool, s.name]),
      [
        ['both', 'open', 'both__open'],
        ['some', 'keep_me', undefined],
      ],
    );
    assert.deepEqual(
      e.tools.map((t) => t.name),
      ['both__open'],
    );
    assert.deepEqual(
      e.registryListing.map((t) => [t.name, t.description]),
      [['registry_search_tools', '2']],
    );
  });
});
