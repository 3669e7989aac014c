import { watch } from 'node:fs';
import { loadRules, type LoadResult } from './load.js';

/** Quiet time after the last change before reloading: an editor's save is often several writes. */
const DEFAULT_DEBOUNCE_MS = 250;

/**
 * Watches a rules directory and loads it again after changes settle. Every reload is reported, valid
 * or not: the caller decides (a worker keeps its running rules when the new set is invalid). Returns
 * a function that stops watching.
 */
export function watchRules(
  dir: string,
  onLoad: (result: LoadResult) => void | Promise<void>,
  options: { debounceMs?: number } = {},
): () => void {
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  let timer: NodeJS.Timeout | undefined;
  let loading = Promise.resolve();
  const watcher = watch(dir, { recursive: true }, () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      // Loads run one after another, so results arrive in the order of the changes.
      loading = loading.then(async () => onLoad(await loadRules(dir)));
    }, debounceMs);
  });
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
