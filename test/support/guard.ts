const GUARD_MS = 15_000;

/** Rejects after `ms`: only a guard against a hang, never what a test relies on. */
export function guarded<T>(what: string, run: (resolve: (v: T) => void, reject: (e: Error) => void) => void, ms = GUARD_MS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    run(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
