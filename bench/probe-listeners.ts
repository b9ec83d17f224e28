/**
 * The benchmark's probe targets, in a process of their own so that accepting connections costs the measured worker
 * nothing: `count` listeners, one per loopback address (127.0.0.1, 127.0.0.2, ...), so that tens of thousands of
 * connects spread over many 4-tuples. Prints the endpoints as one JSON line; exits when its stdin closes.
 */
import { createServer, type Server } from 'node:net';

async function listen(index: number): Promise<Server> {
  // The listener closes after the prober does, as most servers do: the TIME_WAIT stays on the prober's side.
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.resume();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: `127.0.${Math.floor((index + 1) / 256)}.${(index + 1) % 256}`, port: 0, backlog: 1024 }, () =>
      resolve(),
    );
  });
  return server;
}

const count = Number(process.argv[2] ?? '50');
const servers: Server[] = [];
for (let i = 0; i < count; i++) servers.push(await listen(i));
process.stdout.write(
  `${JSON.stringify(servers.map((server) => server.address() as { address: string; port: number }).map(({ address, port }) => ({ host: address, port })))}\n`,
);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
