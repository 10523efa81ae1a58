/** What a probe reads from the environment runProbe gives it (bench/lib/child.ts). */

export function probeEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
