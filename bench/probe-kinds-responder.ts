/** The target responder for the kinds benchmark, in a process of its own: prints its port, exits when stdin closes. */
import { startTarget } from '../src/runtime/target/server.js';

const target = await startTarget({
  port: 0,
  host: '127.0.0.1',
  maxConnections: 4096,
  // The benchmark sends far more than a cluster's sources would: no rate limit here.
  maxEchoesPerSecond: Number.MAX_SAFE_INTEGER,
  identity: { node: null, pod: null },
});
process.stdout.write(`${JSON.stringify([{ host: target.host, port: target.port }])}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
