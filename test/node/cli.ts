/**
 * scripts/node/up.sh and down.sh: `up [nodes]` brings the node bed up (1 node by default), prints how to reach it and keeps it up until
 * interrupted (Ctrl-C brings it down); `down` undoes whatever a crashed or killed run left (from the state file).
 */
import { spawnSync } from 'node:child_process';
import { startNodeBed } from './bed.js';
import { STATE_FILE, readState, teardown } from './host.js';

async function up(nodes: number): Promise<void> {
  const started = Date.now();
  const bed = await startNodeBed({ nodes });
  const kubectl = `${bed.cluster.binDir}/kubectl --kubeconfig=${bed.cluster.kubeconfig}`;
  process.stdout.write(
    [
      `node bed up in ${((Date.now() - started) / 1000).toFixed(1)} s (nodes ${bed.nodes.map((n) => `${n.name} ${n.ip}`).join(', ')}; Ready ${(bed.readyMs / 1000).toFixed(1)} s after their kubelets started)`,
      `  API server   ${bed.cluster.server}`,
      `  kubeconfig   ${bed.cluster.kubeconfig}`,
      `  logs         ${bed.dir}/*.log`,
      `  try          ${kubectl} get nodes,pods -A`,
      'Ctrl-C (or scripts/node/down.sh) brings it down.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
  bed.stop();
  process.stdout.write('node bed down\n');
}

function down(force: boolean): void {
  // A bed that is up holds the lock: bring it down with Ctrl-C where it runs (or --force here).
  if (!force && spawnSync('flock', ['-n', `${STATE_FILE}.lock`, 'true']).status !== 0) {
    process.stderr.write('node bed: one is up (it holds the lock); stop it where it runs, or pass --force\n');
    process.exit(1);
  }
  const state = readState();
  if (!state) {
    process.stdout.write(`node bed: nothing to undo (no ${STATE_FILE})\n`);
    return;
  }
  teardown(state, (line) => process.stdout.write(`node bed: ${line}\n`));
  process.stdout.write(`node bed: down (${state.dir} removed, host restored)\n`);
}

const command = process.argv[2];
if (command === 'up') await up(Number(process.argv[3] ?? '1'));
else if (command === 'down') down(process.argv.includes('--force'));
else {
  process.stderr.write('usage: cli.ts up|down\n');
  process.exit(2);
}
