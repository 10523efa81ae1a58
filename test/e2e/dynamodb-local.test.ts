/** The end-to-end suite against DynamoDB Local from Maven Central (Java 17), in memory on a free port. */
import { startDynamoDbLocal } from '../../local/dynamodb-local';
import { endToEndSuite } from './support/suite';

endToEndSuite({
  name: 'dynamodb-local',
  start: async () => startDynamoDbLocal(),
});
