/**
 * json-rules-engine deep-copies a rule's conditions with the `clone` package (v2) on every
 * evaluation, and compares facts against that copy, which is not always equal to the original:
 * - an object key that names a data property of the object's prototype (toString, valueOf,
 *   constructor, hasOwnProperty, ...) is not copied;
 * - a "__proto__" key goes through the __proto__ setter and becomes the copy's prototype.
 * This is that copy, for the values JSON and YAML produce (plain objects, arrays, primitives).
 * A copy also means a constant is never the very object a fact holds, as in json-rules-engine.
 */
export function cloneLikeEngine(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(cloneLikeEngine);
  const proto: unknown = Object.getPrototypeOf(value);
  const copy = Object.create(proto as object | null) as Record<string, unknown>;
  // for...in, as clone iterates (own and inherited enumerable keys).
  for (const key in value) {
    const shadowed = proto ? Object.getOwnPropertyDescriptor(proto, key) : undefined;
    if (shadowed && shadowed.set == null) continue;
    copy[key] = cloneLikeEngine((value as Record<string, unknown>)[key]);
  }
  return copy;
}
