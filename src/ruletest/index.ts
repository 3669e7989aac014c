/** Rule scenario tests: `alertgate test` runs "given these alerts, expect these decisions" files. */
export { runScenarioFiles, type ScenarioFilesOptions } from './run-files.js';
export { formatScenarioReport, ScenarioReport } from './report.js';
