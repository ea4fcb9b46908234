// Waits for SIGINT or SIGTERM (Ctrl-C, systemd stop), then runs the stop function once. A second
// signal while stopping exits at once.
export function untilSignal(stop: (signal: string) => Promise<void>): Promise<string> {
  return new Promise((resolve) => {
    let stopping = false;
    const on = (sig: NodeJS.Signals): void => {
      if (stopping) {
        process.exit(130);
      }
      stopping = true;
      stop(sig).then(
        () => resolve(sig),
        () => resolve(sig),
      );
    };
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
  });
}
