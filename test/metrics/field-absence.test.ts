import { describe, expect, it } from 'vitest';
import { FieldAbsenceWarner, mostlyAbsentFields, WARN_AFTER_ALERTS } from '../../src/metrics/field-absence.js';
import { PipelineStats } from '../../src/metrics/pipeline-stats.js';

function counting() {
  const lines: { fields: Record<string, unknown>; msg: string }[] = [];
  return { lines, log: { warn: (fields: Record<string, unknown>, msg: string) => lines.push({ fields, msg }) } as never };
}

describe('mapped fields absent in most alerts', () => {
  it('are those of the mapping file (generic) absent in more than half of its alerts', () => {
    const stats = new PipelineStats();
    for (let i = 0; i < 10; i++) stats.alert('generic', 'edr', 0, i < 6 ? ['entities.user', 'tags'] : i < 8 ? ['tags'] : undefined);
    for (let i = 0; i < 10; i++) stats.alert('falco', 'falco', 0, ['entities.file']);
    expect(mostlyAbsentFields(stats)).toEqual([
      { format: 'generic', field: 'entities.user', absent: 6, alerts: 10 },
      { format: 'generic', field: 'tags', absent: 8, alerts: 10 },
    ]);
    // Exactly half is not most; a built-in format's fields are counted but not warned about.
    expect(stats.fieldAbsences()).toContainEqual({ format: 'falco', field: 'entities.file', absent: 10, alerts: 10 });
  });

  it('are logged once per field, after enough alerts, whatever comes after', () => {
    const stats = new PipelineStats();
    const { lines, log } = counting();
    const warner = new FieldAbsenceWarner(stats, log);
    for (let i = 0; i < WARN_AFTER_ALERTS - 1; i++) stats.alert('generic', 'edr', 0, ['entities.process']);
    warner.check();
    expect(lines).toEqual([]);
    stats.alert('generic', 'edr', 0, ['entities.process']);
    warner.check();
    warner.check();
    for (let i = 0; i < 1000; i++) stats.alert('generic', 'edr', 0, ['entities.process']);
    warner.check();
    expect(lines).toEqual([
      { msg: 'mapped field absent in most alerts', fields: { format: 'generic', field: 'entities.process', absent: WARN_AFTER_ALERTS, alerts: WARN_AFTER_ALERTS } },
    ]);
  });

  it('at the end of a file, after any number of alerts', () => {
    const stats = new PipelineStats();
    const { lines, log } = counting();
    stats.alert('generic', 'edr', 0, ['category']);
    new FieldAbsenceWarner(stats, log).check(1);
    expect(lines.map((l) => l.fields.field)).toEqual(['category']);
  });

  it('are not counted while the pipeline rebuilds its state (stats.recording off)', () => {
    const stats = new PipelineStats();
    stats.recording = false;
    stats.alert('generic', 'edr', 0, ['category']);
    expect(stats.fieldAbsences()).toEqual([]);
  });
});
