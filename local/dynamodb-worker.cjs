// The embedded DynamoDB engine (dynalite) on a thread of its own (local/dynamodb.ts starts it):
// its request handling then takes no time from the gateway, the bus and the queue on the main
// thread. Keeps its tables in workerData.dataDir when given (LevelDB), in memory otherwise.
// Posts { port } once listening (or { error }); stops on 'stop'.
const { parentPort, workerData } = require('node:worker_threads');
const dynalite = require('dynalite');

const dataDir = workerData?.dataDir;
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(dataDir ? { path: dataDir } : {}) });
server.once('error', (error) => parentPort.postMessage({ error: error.message }));
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message === 'stop') server.close(() => parentPort.postMessage({ stopped: true }));
});
