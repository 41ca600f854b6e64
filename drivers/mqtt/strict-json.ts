import { visit } from 'jsonc-parser';

/** A payload parsed, or why it was refused. */
export type StrictParse = { ok: true; doc: unknown } | { ok: false; kind: 'notJson' | 'duplicateKey'; problem: string };

/**
 * JSON.parse, refusing a member name that appears twice in one object. RFC 8259 section 4 says
 * names SHOULD be unique and leaves duplicates to the parser: JSON.parse keeps the last one, so
 * `{"in": 1, "in": 99999999}` read as 99 999 999 people. The check uses Microsoft's jsonc-parser
 * (the VS Code JSON scanner) as a visitor, with names unescaped (`"\u0069n"` is `in`); it runs
 * only after JSON.parse accepted the text, so what counts as JSON stays JSON.parse's rule.
 */
export function parseStrictJson(text: string): StrictParse {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, kind: 'notJson', problem: (err as Error).message };
  }
  if (typeof doc !== 'object' || doc === null) return { ok: true, doc };
  // Fast path (the visitor alone costs about 6 times JSON.parse): a duplicate makes the parsed
  // document hold fewer members than the text names. Only when the counts differ is the text
  // visited to find which name it is.
  if (countMembers(doc) === countNamesInText(text)) return { ok: true, doc };
  const duplicate = findDuplicate(text);
  if (duplicate)
    return {
      ok: false,
      kind: 'duplicateKey',
      problem: `member "${duplicate.name.slice(0, 40)}" appears twice in one object (at character ${duplicate.offset})`,
    };
  return { ok: true, doc };
}

/** Members of every object in a parsed document. */
function countMembers(node: unknown): number {
  if (typeof node !== 'object' || node === null) return 0;
  let n = 0;
  if (Array.isArray(node)) {
    for (const v of node) n += countMembers(v);
    return n;
  }
  for (const k in node) {
    n++;
    n += countMembers((node as Record<string, unknown>)[k]);
  }
  return n;
}

/** Member names in a JSON text that JSON.parse accepted: strings followed by a colon (a value string never is). */
function countNamesInText(text: string): number {
  let n = 0;
  let i = 0;
  const len = text.length;
  while (i < len) {
    if (text.charCodeAt(i) !== 0x22) {
      i++;
      continue;
    }
    // A string: to its closing quote, past escapes.
    i++;
    while (i < len) {
      const c = text.charCodeAt(i);
      if (c === 0x5c) i += 2;
      else if (c === 0x22) break;
      else i++;
    }
    i++;
    while (i < len) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      i++;
    }
    if (text.charCodeAt(i) === 0x3a) n++;
  }
  return n;
}

/** The first member name that appears twice in one object, by jsonc-parser's visitor (names unescaped). */
function findDuplicate(text: string): { name: string; offset: number } | undefined {
  const open: Array<Set<string>> = [];
  let duplicate: { name: string; offset: number } | undefined;
  visit(
    text,
    {
      onObjectBegin: () => {
        open.push(new Set());
      },
      onObjectEnd: () => {
        open.pop();
      },
      onObjectProperty: (name, offset) => {
        const names = open.at(-1);
        if (!names || duplicate) return;
        if (names.has(name)) duplicate = { name, offset };
        else names.add(name);
      },
    },
    { disallowComments: true, allowTrailingComma: false },
  );
  return duplicate;
}
