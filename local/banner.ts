/** The start-up text of `npm start`: where everything is, and ready-to-paste publish examples. Pure. */
import { LocalRuntime } from './runtime';
import { LOCAL_REGION } from './settings';

export function startupBanner(runtime: Pick<LocalRuntime, 'url' | 'wsUrl' | 'callbackUrl' | 'eventBusName' | 'settings' | 'dynamo'>, s3Endpoint?: string): string {
  const { url, wsUrl, callbackUrl, eventBusName, settings, dynamo } = runtime;
  const detail = JSON.stringify({ topic: 'orders/42', data: { status: 'shipped' } });
  const putEvents = JSON.stringify({
    Entries: [{ EventBusName: eventBusName, Source: 'my.backend', DetailType: settings.detailType, Detail: detail }],
  });
  const engine = dynamo.engine === 'embedded'
    ? 'embedded (dynalite, on a thread of its own). It never expires TTL items: a sweeper deletes expired rows every minute.\n'
      + (dynamo.dataDir
        ? `                   Kept in ${dynamo.dataDir}: history and subscriptions survive a restart.\n`
        : '                   In memory: everything is gone on restart (npm start -- --data-dir .data keeps it).\n')
      + '                   DYNAMODB_LOCAL=true npm start runs DynamoDB Local instead; DYNAMODB_ENDPOINT=http://… uses one running.'
    : `${dynamo.endpoint} (external)`;
  return `
Realtime notifications: the sample system, running locally

  Demo page        ${url}/
  WebSocket        ${wsUrl}   with subprotocols ['realtime.v1', 'token.<JWT>'] (keeps the token out of URLs)
                   or ${wsUrl}?token=<JWT>
  Dev token        ${url}/dev/token?userId=alice
  JWKS             ${url}/dev/.well-known/jwks.json   (issuer ${settings.auth.issuer})
  EventBridge      ${url}   (PutEvents, bus "${eventBusName}", detail type "${settings.detailType}")
  @connections     ${callbackUrl}/@connections/{connectionId}
  Dead letters     ${callbackUrl}/dlq   (GET lists them as JSON, DELETE purges)
  DynamoDB         ${engine}
  Payload bucket   ${s3Endpoint ? `${s3Endpoint}/${settings.payloadBucket} (moto's S3 server): frames over 128 KB are sent as a presigned dataUrl` : 'none (LOCAL_S3=false, or no python3 with venv): notifications over 128 KB are dead-lettered'}
  Broadcast        ${settings.allowBroadcast ? 'allowed' : 'off (ALLOW_BROADCAST=true npm start to allow)'}
  Client messages  ${settings.publishRules.length > 0 ? `publish to ${settings.publishRules.join(', ')}` : 'off'}; presence on ${settings.presenceRules.length > 0 ? settings.presenceRules.join(', ') : 'no topic'}
  History          ${settings.historyRules.length > 0 ? settings.historyRules.join(', ') : 'no topic'}, kept ${Math.round(settings['history.retention'] / 3600)} h${settings['history.userStreams'] ? `; each user's own stream (resume, the inbox), kept ${Math.round(settings['history.userStreamRetention'] / 86_400)} days` : ''}

Publish with curl:

  curl -s ${url}/ \\
    -H 'Content-Type: application/x-amz-json-1.1' \\
    -H 'X-Amz-Target: AWSEvents.PutEvents' \\
    -d '${putEvents}'

Publish with the AWS SDK (in production leave out endpoint and credentials, and use your region and
the construct's eventBus.eventBusName):

  import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
  const events = new EventBridgeClient({ endpoint: '${url}', region: '${LOCAL_REGION}',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await events.send(new PutEventsCommand({ Entries: [{ EventBusName: '${eventBusName}',
    Source: 'my.backend', DetailType: '${settings.detailType}', Detail: '${detail}' }] }));

Chat from a terminal (after connecting as below):  {"action":"subscribe","topic":"rooms/lobby"}
  then  {"action":"publish","topic":"rooms/lobby","data":{"text":"hello"}}  and  {"action":"presence","topic":"rooms/lobby"}

Connect from a terminal:  npx wscat -c "${wsUrl}?token=$(curl -s '${url}/dev/token?userId=alice' | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')"

Ctrl-C closes every connection and stops.
`;
}
