/** Resolves on the first SIGINT or SIGTERM. A second signal, once these listeners are gone, gets Node's default: exit at once. */
export function untilSignal() {
  let resolve: (signal: NodeJS.Signals) => void = () => {};
  const state = {
    fired: undefined as NodeJS.Signals | undefined,
    promise: new Promise<NodeJS.Signals>((r) => (resolve = r)),
    dispose: () => {},
  };
  const onSignal = (signal: NodeJS.Signals) => {
    state.fired = signal;
    state.dispose();
    resolve(signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  state.dispose = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  return state;
}
