import { z } from 'zod';

/**
 * The incident-response SOP's classes (NIST SP 800-61's attack vectors, as most SOC runbooks name
 * them), set by an analyst on a case. Before that, escalation matches on the opening rule's category
 * (categoryOf).
 */
export const CLASSIFICATIONS = [
  'data-breach',
  'malware',
  'denial-of-service',
  'unauthorized-access',
  'phishing',
  'policy-violation',
  'other',
] as const;
export const Classification = z.enum(CLASSIFICATIONS);
export type Classification = z.infer<typeof Classification>;

/** Rule categories (src/rules/schema.ts) whose name differs from the classification they stand for. */
const RULE_CATEGORY_CLASSES: Readonly<Record<string, Classification>> = { dos: 'denial-of-service', policy: 'policy-violation' };

/**
 * What escalation matches a case on: its classification once an analyst set one, else its opening
 * rule's category in the classification's words (`dos` → `denial-of-service`, `policy` →
 * `policy-violation`; `recon` stays `recon`).
 */
export function categoryOf(classification: string | null, ruleCategory: string): string {
  return classification ?? RULE_CATEGORY_CLASSES[ruleCategory] ?? ruleCategory;
}
