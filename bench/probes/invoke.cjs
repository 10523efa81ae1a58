// Runs one Lambda bundle in this fresh process the way the Lambda runtime would: loads it once,
// then invokes `handler` with each event of a plan file, one after another. Prints timings,
// results and memory as JSON. Environment (the function's variables) comes from the parent.
//
//   node invoke.cjs <bundle> <plan.json>
//   plan: { "events": [ … ], "sampleHeapMs": 20 }
'use strict';
const { readFileSync } = require('node:fs');

function context(i) {
  const deadline = Date.now() + 15 * 60 * 1000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME || 'bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE || '512',
    awsRequestId: `bench-${process.pid}-${i}`,
    logGroupName: '/aws/lambda/bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

async function main() {
  const [bundle, planPath] = process.argv.slice(2);
  const plan = JSON.parse(readFileSync(planPath, 'utf8'));
  const loadStart = process.hrtime.bigint();
  const { handler } = require(bundle);
  const initMs = Number(process.hrtime.bigint() - loadStart) / 1e6;
  // Baseline: this same process, idle, after loading the bundle.
  global.gc?.();
  const idle = { rssBytes: process.memoryUsage().rss, heapUsedBytes: process.memoryUsage().heapUsed, maxRssKB: process.resourceUsage().maxRSS };

  let heapPeak = idle.heapUsedBytes;
  const sampler = setInterval(() => { heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed); }, plan.sampleHeapMs || 20);
  const durationsMs = [];
  const cpuMs = [];
  const results = [];
  for (let i = 0; i < plan.events.length; i++) {
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    let result;
    try {
      result = await handler(plan.events[i], context(i));
    } catch (error) {
      result = { thrown: String(error && error.stack || error) };
    }
    durationsMs.push(Number(process.hrtime.bigint() - start) / 1e6);
    const cpu = process.cpuUsage(cpuStart);
    cpuMs.push((cpu.user + cpu.system) / 1000);
    results.push(result === undefined ? null : result);
  }
  clearInterval(sampler);
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  const peak = { maxRssKB: process.resourceUsage().maxRSS, heapUsedPeakBytes: heapPeak };
  // Exit once the result is written: a large one to a pipe is written in several turns.
  process.stdout.write(`\n${JSON.stringify({ initMs, durationsMs, cpuMs, results: plan.omitResults ? [] : results, idle, peak })}\n`, () => process.exit(0));
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack || error}\n`);
  process.exit(1);
});
