export { incidentId } from './incident-id.js';
export {
  DEFAULT_MAX_ALERT_IDS,
  INCIDENT_SEVERITIES,
  IncidentRecord,
  IncidentSeverity,
  type IncidentView,
} from './incident-record.js';
export {
  IncidentTracker,
  IncidentTrackerOptions,
  IncidentTrackerSnapshot,
  type IncidentGrouping,
  type IncidentTrackerStats,
  type RecordResult,
} from './incident-tracker.js';
export { compileTitle, renderTitle, MISSING, type TitleRenderer } from './title-template.js';
