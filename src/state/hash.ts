/**
 * MurmurHash3 (x86, 32-bit) of a string's UTF-16 code units, two per block: well mixed in every bit,
 * which HyperLogLog needs (its register comes from the top bits, its rank from the rest), and cheap:
 * no encoding to bytes. Deterministic across machines and runs.
 */
export function hash32(text: string, seed = 0): number {
  let h = seed >>> 0;
  const n = text.length;
  let i = 0;
  for (; i + 1 < n; i += 2) h = mixBlock(h, (text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16)) >>> 0);
  if (i < n) h ^= mixKey(text.charCodeAt(i));
  h ^= n * 2;
  return finalMix(h);
}

function mixKey(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}

function mixBlock(h: number, k: number): number {
  h ^= mixKey(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalMix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
