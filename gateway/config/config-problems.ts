import { type z, toJSONSchema } from 'zod';

/** One thing wrong with a configuration, in words a technician can act on. */
export interface ConfigProblem {
  /** Where: `devices[2].points[0].unit`, or a file name for unreadable files. */
  path: string;
  message: string;
  /** A valid value for that place, when the schema knows one. */
  example?: unknown;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out || '(top level)';
}

export function formatProblem(p: ConfigProblem): string {
  const example = p.example === undefined ? '' : ` (e.g. ${JSON.stringify(p.example)})`;
  return `${p.path}: ${p.message}${example}`;
}

type JsonSchemaNode = {
  $ref?: string;
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: JsonSchemaNode | boolean;
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  allOf?: JsonSchemaNode[];
  examples?: unknown[];
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  $defs?: Record<string, JsonSchemaNode>;
};

/**
 * Turns zod issues into problems with examples. The examples come from `.meta({ examples })` on
 * the schema, found by walking its JSON Schema along the issue's path, so they are written once.
 */
export class ProblemFormatter {
  private readonly root: JsonSchemaNode;

  constructor(schema: z.ZodType) {
    this.root = toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
  }

  fromZod(error: z.ZodError, prefix: ReadonlyArray<PropertyKey> = []): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    for (const issue of error.issues) {
      const path = [...prefix, ...issue.path];
      let message = issue.message;
      if (issue.code === 'unrecognized_keys') {
        message = `unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      } else if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
        message = `unknown ${String(issue.discriminator ?? 'variant')}`;
      } else if (issue.code === 'invalid_value') {
        message = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
      } else if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) {
        message = `is required (${issue.expected})`;
      }
      const node = this.nodeAt(issue.path);
      problems.push({ path: formatPath(path), message, example: node ? exampleOf(node, this.root) : undefined });
    }
    return problems;
  }

  private nodeAt(path: ReadonlyArray<PropertyKey>): JsonSchemaNode | undefined {
    let nodes: JsonSchemaNode[] = [this.root];
    for (const seg of path) {
      const next: JsonSchemaNode[] = [];
      for (const n of nodes.flatMap((x) => expand(x, this.root))) {
        if (typeof seg === 'number' && n.items) next.push(n.items);
        else if (typeof seg === 'string' && n.properties?.[seg]) next.push(n.properties[seg]);
        else if (typeof seg === 'string' && typeof n.additionalProperties === 'object') next.push(n.additionalProperties);
      }
      if (next.length === 0) return undefined;
      nodes = next;
    }
    return nodes.flatMap((x) => expand(x, this.root)).find((n) => exampleOf(n, this.root) !== undefined) ?? nodes[0];
  }
}

function resolveRef(node: JsonSchemaNode, root: JsonSchemaNode): JsonSchemaNode {
  if (!node.$ref) return node;
  const name = node.$ref.replace(/^#\/\$defs\//, '');
  return root.$defs?.[name] ?? node;
}

function expand(node: JsonSchemaNode, root: JsonSchemaNode): JsonSchemaNode[] {
  const n = resolveRef(node, root);
  const parts = [...(n.anyOf ?? []), ...(n.oneOf ?? []), ...(n.allOf ?? [])];
  return parts.length ? [n, ...parts.flatMap((p) => expand(p, root))] : [n];
}

function exampleOf(node: JsonSchemaNode, root: JsonSchemaNode): unknown {
  for (const n of expand(node, root)) {
    if (n.examples?.length) return n.examples[0];
    if (n.const !== undefined) return n.const;
    if (n.enum?.length) return n.enum[0];
    if (n.default !== undefined && typeof n.default !== 'object') return n.default;
  }
  return undefined;
}
