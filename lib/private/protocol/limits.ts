/** The runtime's limits as the protocol's texts state them: derived, so that no text restates a number. */
import { LIMITS } from '../runtime-contract';

/** The largest frame API Gateway accepts or posts, in words: "128 KB". */
export const FRAME_SIZE = `${LIMITS.maxFrameBytes / 1024} KB`;
