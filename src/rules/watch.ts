import { watch } from 'node:fs';
import { loadRules, type LoadResult } from './load.js';

/** Quiet time after the last change before reloading: an editor's save is often several writes. */
const DEFAULT_DEBOUNCE_MS = 250;

export interface WatchOptions {
  readonly debounceMs?: number;
  /**
   * Told when handling a change failed (onLoad threw) or the file watcher reported an error. Watching
   * goes on either way: the next change loads again.
   */
  readonly onError?: (err: unknown) => void;
}

/**
 * Watches a rules directory and loads it again after changes settle. Every reload is reported, valid
 * or not: the caller decides (a worker keeps its running rules when the new set is invalid). Nothing
 * that goes wrong in a reload escapes it: the loads form one promise chain that always catches, and
 * the watcher's own errors (Node's recursive watch on Linux can report a file removed under it) are
 * passed on and followed by a load. Returns a function that stops watching.
 */
export function watchRules(dir: string, onLoad: (result: LoadResult) => void | Promise<void>, options: WatchOptions = {}): () => void {
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const onError = options.onError ?? (() => {});
  let timer: NodeJS.Timeout | undefined;
  let loading = Promise.resolve();
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      // Loads run one after another, so results arrive in the order of the changes.
      loading = loading.then(async () => onLoad(await loadRules(dir))).catch(onError);
    }, debounceMs);
  };
  const watcher = watch(dir, { recursive: true }, schedule);
  watcher.on('error', (err) => {
    onError(err);
    schedule();
  });
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
