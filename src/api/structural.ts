/**
 * zod JSON Schema -> Kubernetes structural OpenAPI v3 schema: every node typed, no $ref, no
 * additionalProperties:false (Kubernetes prunes unknown fields instead), no JSON-Schema-only keywords.
 */
import { z } from 'zod';

export type JSONSchema = { [key: string]: unknown };

const DROPPED = new Set(['$schema', '$id', 'id', 'additionalProperties', 'title', 'examples']);
const SAFE_INTEGER = Number.MAX_SAFE_INTEGER;

export function structuralSchema(schema: z.ZodType): JSONSchema {
  const json = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'output',
    unrepresentable: 'throw',
    reused: 'inline',
    cycles: 'throw',
  });
  return clean(json as JSONSchema);
}

function clean(node: JSONSchema): JSONSchema {
  const out: JSONSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED.has(key)) continue;
    if (key === '$ref' || key === 'allOf' || key === 'anyOf' || key === 'oneOf')
      throw new Error(`cannot express "${key}" in a structural schema; simplify the zod schema`);
    if ((key === 'maximum' && value === SAFE_INTEGER) || (key === 'minimum' && value === -SAFE_INTEGER)) continue;
    if (key === 'properties')
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, JSONSchema>).map(([name, child]) => [name, clean(child)]),
      );
    else if (key === 'items') out[key] = clean(value as JSONSchema);
    else out[key] = value;
  }
  if (out.type === undefined)
    throw new Error(`every node of a structural schema needs a type: ${JSON.stringify(node).slice(0, 120)}`);
  // An empty properties map means "any object": only ObjectMeta uses it, and the API server types that itself.
  if (out.type === 'object' && out.properties !== undefined && Object.keys(out.properties as object).length === 0)
    delete out.properties;
  return out;
}
