import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Config } from '../../src/config/schema.js';
import { loadEscalation } from '../../src/escalation/load.js';
import { formatProblem } from '../../src/rules/problems.js';
import { tempDir } from '../helpers.js';
import { fencedBlocks, type FencedBlock } from './markdown.js';

const ROOT = join(import.meta.dirname, '../..');

/** The docs whose YAML is meant to be copied into a config or an escalation file as it is. */
const FILES = ['README.md', 'docs/receivers.md', 'docs/escalation.md'];

/** `# paging.yaml: …` on a block's first line: the file the reader is told to save it as. */
const savedAs = (block: FencedBlock) => /^# ([\w.-]+\.ya?ml)\b/.exec(block.text)?.[1];

interface Checked {
  readonly at: string;
  readonly kind: 'config' | 'escalation' | 'schedule' | 'prometheus' | 'alertmanager';
  readonly problems: string[];
}

/**
 * Each YAML block of a doc, checked with the schema that reads it: an escalation file (it has
 * `policies`) with loadEscalation, its schedules beside it; Prometheus' and Alertmanager's own files are
 * theirs; anything else is a config, parsed with Config. A config that names an
 * escalation file shown in the same doc must configure every receiver that file names.
 */
async function checkDoc(file: string): Promise<Checked[]> {
  const blocks = fencedBlocks(ROOT, file).filter((b) => b.lang === 'yaml' || b.lang === 'yml');
  const dir = tempDir('alertgate-doc-yaml-');
  // The doc's named files first, so an escalation file finds the schedule it names.
  for (const b of blocks) if (savedAs(b)) writeFileSync(join(dir, savedAs(b)!), b.text);
  const checked: Checked[] = [];
  for (const [i, block] of blocks.entries()) {
    const at = `${file}:${block.line}`;
    const value = parse(block.text) as unknown;
    if (/^# (prometheus|alertmanager)\.ya?ml/.test(block.text)) {
      checked.push({ at, kind: block.text.startsWith('# alertmanager') ? 'alertmanager' : 'prometheus', problems: [] });
    } else if (Array.isArray(value)) {
      checked.push({ at, kind: 'schedule', problems: savedAs(block) ? [] : ['a schedule must say the file it is saved as (# name.yaml)'] });
    } else if (value !== null && typeof value === 'object' && 'policies' in value) {
      const path = join(dir, savedAs(block) ?? `escalation-${i}.yaml`);
      writeFileSync(path, block.text);
      const loaded = await loadEscalation(path);
      checked.push({ at, kind: 'escalation', problems: loaded.ok ? [] : loaded.problems.map(formatProblem) });
    } else {
      const parsed = Config.safeParse(value ?? {});
      const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `/${issue.path.join('/')}: ${issue.message}`);
      const escalationFile = parsed.success ? parsed.data.escalation.file : undefined;
      if (parsed.success && escalationFile !== undefined && blocks.some((b) => savedAs(b) === basename(escalationFile))) {
        const loaded = await loadEscalation(join(dir, basename(escalationFile)));
        const missing = loaded.ok ? loaded.policy.receivers.filter((r) => parsed.data.receivers.named[r] === undefined) : [];
        if (missing.length > 0) problems.push(`${escalationFile} names receivers this config lacks: ${missing.join(', ')}`);
      }
      checked.push({ at, kind: 'config', problems });
    }
  }
  return checked;
}

describe('the YAML the docs tell you to copy is accepted by the schemas that read it', () => {
  for (const file of FILES) {
    it(`${file}: every config and escalation block parses with the real schemas`, async () => {
      const checked = await checkDoc(file);
      expect(checked.filter((c) => c.problems.length > 0).map((c) => `${c.at} (${c.kind}): ${c.problems.join('; ')}`)).toEqual([]);
      expect(checked.some((c) => c.kind === 'config')).toBe(true);
    });
  }

  it('README "Paging people" gives a config and the escalation file it names, for Slack and PagerDuty', async () => {
    const checked = await checkDoc('README.md');
    const paging = fencedBlocks(ROOT, 'README.md').filter((b) => savedAs(b)?.startsWith('paging'));
    expect(paging.map(savedAs)).toEqual(['paging.yaml', 'paging-escalation.yaml']);
    const config = Config.parse(parse(paging[0]!.text));
    expect(Object.values(config.receivers.named).map((r) => r.type).sort()).toEqual(['pagerduty', 'slack']);
    expect(config.escalation.file).toBe('paging-escalation.yaml');
    expect(checked.filter((c) => c.kind === 'escalation')).toHaveLength(1);
  });
});
