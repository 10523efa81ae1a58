/**
 * The structured JSON logger every handler shares (Powertools). Service name and level come from
 * POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL, which the construct sets.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger();
