/**
 * The runtime's limits and settings as the protocol's texts name them: derived, so that no text
 * restates a number or a prop that runtime-contract.ts holds.
 */
import { LIMITS } from '../runtime-contract';
import { SettingName } from '../settings';

/** The largest frame API Gateway accepts or posts, in words: "128 KB". */
export const FRAME_SIZE = `${LIMITS.maxFrameBytes / 1024} KB`;

/** How long API Gateway keeps an idle connection open, in words: "10 minutes". */
export const IDLE_TIMEOUT = `${LIMITS.idleTimeoutSeconds / 60} minutes`;

/** The construct prop that configures a setting, as code: "`history.maxReplay`". */
export function prop(setting: SettingName): string {
  return `\`${setting}\``;
}
