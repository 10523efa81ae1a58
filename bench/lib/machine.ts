/** The facts about this machine that every benchmark figure depends on. */
import { cpus, totalmem, platform, release, arch } from 'node:os';

export interface MachineFacts {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly nodeVersion: string;
  readonly os: string;
}

export function machineFacts(): MachineFacts {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    nodeVersion: process.version,
    os: `${platform()} ${release()} ${arch()}`,
  };
}
