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
  if (typeof doc !== 'object' || doc === null || !text.includes(':')) return { ok: true, doc };
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
  if (duplicate) return { ok: false, kind: 'duplicateKey', problem: `member "${duplicate.name.slice(0, 40)}" appears twice in one object (at character ${duplicate.offset})` };
  return { ok: true, doc };
}
