import { describe, expect, it } from 'vitest';
import { compileTitle, renderTitle } from '../../src/incidents/index.js';
import { alertAt } from './fixtures.js';

const alert = alertAt('a1', { host: 'web-1', src_ip: '10.0.0.5' });

describe('title templates', () => {
  it('fills dot paths into the canonical alert', () => {
    expect(renderTitle('{{name}} on {{entities.host}} from {{ entities.src_ip }} ({{source}}, {{severity}})', alert)).toBe(
      'ET MALWARE beacon on web-1 from 10.0.0.5 (suricata, high)',
    );
  });

  it('renders numbers and booleans from anywhere in the alert, raw included', () => {
    expect(renderTitle('{{raw.flow.bytes}} bytes, sev {{severityOriginal}}, {{tags.0}}', alert)).toBe('1200 bytes, sev 1, c2');
  });

  it('shows ? for what is missing or not a plain value', () => {
    expect(renderTitle('{{entities.user}}|{{raw.flow}}|{{tags}}|{{nope.deeper}}', alert)).toBe('?|?|?|?');
  });

  it('never reaches prototypes or properties of strings', () => {
    expect(renderTitle('{{constructor}}|{{entities.__proto__}}|{{name.length}}|{{entities.toString}}', alert)).toBe('?|?|?|?');
  });

  it('reads keys that hold dots, bracketed or as a flat dotted key (Falco output_fields, Zeek id.orig_h)', () => {
    const falco = { ...alert, raw: { output_fields: { 'proc.name': 'bash' }, 'id.orig_h': '10.0.0.9' } };
    expect(renderTitle('{{raw.output_fields["proc.name"]}} {{raw.output_fields.proc.name}} {{raw.id.orig_h}} {{raw["id.orig_h"]}}', falco)).toBe(
      'bash bash 10.0.0.9 10.0.0.9',
    );
  });

  it('keeps text that is not a well-formed placeholder literally', () => {
    expect(renderTitle('{{ }} {{a b}} {{entities.host} {{{entities.host}}}', alert)).toBe('{{ }} {{a b}} {{entities.host} {web-1}');
    expect(renderTitle('plain title', alert)).toBe('plain title');
  });

  it('compiles once into a reusable renderer', () => {
    const render = compileTitle('Beacon from {{entities.host}}');
    expect(render(alert)).toBe('Beacon from web-1');
    expect(render(alertAt('a2', { host: 'db-7' }))).toBe('Beacon from db-7');
  });
});
