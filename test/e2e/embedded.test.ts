/** The end-to-end suite against the embedded DynamoDB engine (dynalite, in-process). */
import { endToEndSuite } from './support/suite';

endToEndSuite({
  name: 'embedded',
  start: async () => ({ endpoint: undefined, stop: async () => undefined }),
});
