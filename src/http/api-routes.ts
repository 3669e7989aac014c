import { caseRoutes } from './case-routes.js';
import { incidentRoutes } from './incident-routes.js';
import { ingestRoutes } from './ingest-routes.js';
import { obligationRoutes } from './obligation-routes.js';
import { postmortemRoutes } from './postmortem-routes.js';
import { reportRoutes } from './report-routes.js';
import type { Route } from './route.js';
import { ruleRoutes } from './rule-routes.js';
import { tuningRoutes } from './tuning-routes.js';
import { watermarkRoutes } from './watermark-routes.js';

/** Every API route, in the order the OpenAPI document lists them. */
export const API_ROUTES: readonly Route[] = [...incidentRoutes, ...caseRoutes, ...obligationRoutes, ...postmortemRoutes, ...ruleRoutes, ...tuningRoutes, ...reportRoutes, ...watermarkRoutes, ...ingestRoutes];
