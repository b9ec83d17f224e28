// The bundle's entry point: bin/p2pnc.js without tsx, which the bundle does not need.
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
