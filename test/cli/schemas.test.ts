import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonSchemaOf, SCHEMAS } from '../../src/cli/schema.js';

describe('published JSON Schemas', () => {
  it.each(Object.keys(SCHEMAS) as (keyof typeof SCHEMAS)[])('docs/schemas/%s.schema.json matches the zod schema', (name) => {
    const committed = readFileSync(join(import.meta.dirname, '../../docs/schemas', `${name}.schema.json`), 'utf8');
    // Regenerate with: node bin/alertgate.js schema <name> > docs/schemas/<name>.schema.json
    expect(committed).toBe(jsonSchemaOf(name));
  });
});
