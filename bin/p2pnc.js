#!/usr/bin/env node
// Runs the TypeScript sources through tsx; the container image runs a prebuilt single-file bundle instead.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
