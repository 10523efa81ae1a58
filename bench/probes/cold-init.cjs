// Loads one Lambda bundle in this fresh process and prints how long the require took, the way the
// Lambda runtime's init phase loads the handler module. Environment comes from the parent.
const start = process.hrtime.bigint();
require(process.argv[2]);
const initMs = Number(process.hrtime.bigint() - start) / 1e6;
process.stdout.write(`\n${JSON.stringify({ initMs })}\n`);
// Module-scope clients may hold keep-alive sockets or timers; the measurement is done.
process.exit(0);
