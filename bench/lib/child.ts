/** Runs a benchmark probe in a fresh Node.js process and returns the JSON it prints last. */
import { spawn } from 'node:child_process';

export interface ChildOptions {
  readonly env?: Record<string, string>;
  /** Load TypeScript through tsx (for probes written in TS). */
  readonly typescript?: boolean;
  readonly nodeArgs?: readonly string[];
  readonly timeoutMs?: number;
}

export function runProbe<T>(script: string, args: readonly string[] = [], options: ChildOptions = {}): Promise<T> {
  const nodeArgs = [...(options.typescript ? ['--import', 'tsx'] : []), ...(options.nodeArgs ?? [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0) {
        reject(new Error(`${script} exited with ${code ?? signal}: ${stderr.trim().slice(-2000)}`));
        return;
      }
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${script} printed no JSON result; stdout ended with: ${last.slice(-500)}; stderr: ${stderr.slice(-1000)}`));
      }
    });
  });
}
