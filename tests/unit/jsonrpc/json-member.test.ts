import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memberText } from '../../../src/infrastructure/jsonrpc/json-member.js';

describe('memberText: the text of a top-level member, as written', () => {
  it('finds the member wherever it sits, and keeps its text byte for byte', () => {
    const result = '{"content":[{"type":"text","text":"a \\"quoted\\" } ] { [ text"}],"n":9007199254740993,"f":1.50,"z":-0}';
    assert.equal(memberText(`{"result":${result},"jsonrpc":"2.0","id":3}`, 'result'), result);
    assert.equal(memberText(`{"jsonrpc":"2.0","id":3,"result":${result}}`, 'result'), result);
    assert.equal(memberText(`  {\n "id" : "x,}" ,\t"result" :  ${result}  \n}  `, 'result'), result);
  });

  it('takes strings, numbers and literals as values, and escaped backslashes before a quote', () => {
    assert.equal(memberText('{"a":"x\\\\","b":2}', 'a'), '"x\\\\"');
    assert.equal(memberText('{"a":"x\\\\","b":12345678901234567890}', 'b'), '12345678901234567890');
    assert.equal(memberText('{"a":true,"b":null}', 'b'), 'null');
    assert.equal(memberText('{"a":[1,[2,{"c":"]"}]],"b":{}}', 'a'), '[1,[2,{"c":"]"}]]');
  });

  it('gives the last of duplicate keys, as JSON.parse does, and undefined for a missing key', () => {
    assert.equal(memberText('{"a":1,"a":2}', 'a'), '2');
    assert.equal(memberText('{"b":1}', 'a'), undefined);
    assert.equal(memberText('[1,2]', 'a'), undefined);
  });

  it('agrees with JSON.parse on a large nested value', () => {
    const value = { content: Array.from({ length: 2000 }, (_, i) => ({ type: 'text', text: `line ${i} with "quotes" and \\ and }]`, n: i })) };
    const text = JSON.stringify(value);
    assert.deepEqual(JSON.parse(memberText(`{"id":1,"result":${text},"jsonrpc":"2.0"}`, 'result') ?? 'null'), value);
  });
});

describe('memberText reads keys as JSON.parse does', () => {
  it('decodes escaped keys, so a duplicate written with escapes wins as in JSON.parse', () => {
    const line = '{"jsonrpc":"2.0","id":1,"result":5,"res\\u0075lt":{"content":[]}}';
    assert.deepEqual(JSON.parse(memberText(line, 'result') ?? 'null'), (JSON.parse(line) as { result: unknown }).result);
    assert.equal(memberText('{"\\u0061":1}', 'a'), '1');
  });
});
