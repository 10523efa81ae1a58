// One Lambda function's execution environment: loads a bundle in its own thread with its own
// process.env (the environment the construct gives that function) and answers invocations.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { randomUUID } = require('node:crypto');

process.setSourceMapsEnabled(true);

const { bundlePath, functionName, region, memoryMb } = workerData;
let handler;
let initError;
try {
  handler = require(bundlePath).handler;
  if (typeof handler !== 'function') initError = new Error(`${bundlePath} does not export a function named handler.`);
} catch (error) {
  initError = error;
}

function contextFor(requestId, deadline) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
}

function describe(error) {
  if (error instanceof Error) return { errorType: error.name, errorMessage: error.message, stack: error.stack };
  return { errorType: 'Error', errorMessage: String(error) };
}

parentPort.on('message', async ({ id, event, requestId, deadline }) => {
  try {
    if (initError) throw initError;
    const result = await handler(event, contextFor(requestId, deadline));
    // Lambda hands the caller the JSON serialisation of the result, not the object itself.
    parentPort.postMessage({ id, ok: true, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: describe(error) });
  }
});
