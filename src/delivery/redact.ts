const CENSOR = '[redacted]';

/**
 * Removes the receivers' secrets from a text (an error a receiver or its HTTP client returned) before
 * it is stored in the outbox, logged, or served by the API: each secret as it is, URL-encoded, and
 * base64-encoded (HTTP basic auth). Secrets shorter than 6 characters are left alone: replacing them
 * would garble ordinary words and hide nothing.
 */
export class Redactor {
  private readonly needles: readonly string[];

  constructor(secrets: readonly string[]) {
    const forms = secrets.filter((s) => s.length >= 6).flatMap((s) => [s, encodeURIComponent(s), Buffer.from(s).toString('base64')]);
    // Longest first, so a secret that contains another is removed whole.
    this.needles = [...new Set(forms)].sort((a, b) => b.length - a.length);
  }

  clean(text: string): string {
    let out = text;
    for (const needle of this.needles) if (out.includes(needle)) out = out.split(needle).join(CENSOR);
    return out;
  }
}
