import assert from 'node:assert/strict';

/**
 * A minimal RFC 4180 reader for tests (quoted fields, doubled quotes, CRLF record ends): the records of
 * `text`, each a list of fields. Fails the test when the last record does not end with CRLF.
 */
export const readCsv = (text: string): string[][] => {
  const records: string[][] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (quoted && c === '"') {
      quoted = false;
    } else if (quoted) {
      field += c;
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      fields.push(field);
      records.push(fields);
      fields = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  assert.equal(field + fields.join(''), '', 'every record ends with CRLF');
  return records;
};
