/**
 * A case flag: a fact an analyst establishes about a case that the rules cannot see ("personal data
 * affected", "determined material", "major ICT incident"). Obligations start on them
 * (docs/obligations.md). Lowercase words joined by "-", at most 64 characters.
 */
export const CASE_FLAG = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Flags a case carries at most. */
export const MAX_FLAGS = 32;
