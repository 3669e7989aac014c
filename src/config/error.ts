/** A configuration that cannot be used; its message names the file, variable or flag, and the field. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
