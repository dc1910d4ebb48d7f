/**
 * The training cache of both workloads: reuse the file at `path` when it exists, otherwise train, time the
 * training and save. The key (and so the path) must cover everything the result depends on.
 */
import { existsSync } from 'node:fs';

export function cachedTraining<T>(
  path: string,
  load: (path: string) => T,
  train: () => T,
  save: (path: string, value: T, trainSeconds: number) => void,
): { value: T; cached: boolean; trainSeconds: number } {
  if (existsSync(path)) return { value: load(path), cached: true, trainSeconds: 0 };
  const t0 = performance.now();
  const value = train();
  const trainSeconds = (performance.now() - t0) / 1000;
  save(path, value, trainSeconds);
  return { value, cached: false, trainSeconds };
}
