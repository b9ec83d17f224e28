/**
 * Flags that also read an environment variable, for the long-running commands a pod runs (`source`, `target`):
 * every flag `--some-flag` reads `P2PNC_SOME_FLAG`, declared in one place with its default, so `--help`, the README
 * table and the pod spec cannot disagree. A flag on the command line wins over the variable.
 */
import { type Command, Option } from 'commander';
import { UsageError } from '../util/errors.js';

/** `--metrics-port <port>` reads `P2PNC_METRICS_PORT`. */
export function envVarOf(flags: string): string {
  const long = /--([a-z][a-z0-9-]*)/.exec(flags)?.[1];
  if (!long) throw new Error(`no long flag in "${flags}"`);
  return `P2PNC_${long.replaceAll('-', '_').toUpperCase()}`;
}

/** An option taking a value, read from its flag or `P2PNC_<FLAG>` (or `env`, for a downward-API variable). */
export function envOption(flags: string, description: string, defaultValue?: string, env = envVarOf(flags)): Option {
  const option = new Option(flags, description).env(env);
  return defaultValue === undefined ? option : option.default(defaultValue);
}

/**
 * A switch as `--flag[=true|false]` (bare `--flag` is true), read from `P2PNC_<FLAG>` as `true` or `false`: a
 * commander boolean would be set by the variable's mere presence, so `P2PNC_PER_NODE=false` would turn it on.
 */
export function envSwitch(name: string, description: string, defaultValue: boolean): Option {
  const flags = `--${name} [bool]`;
  return new Option(flags, description)
    .env(envVarOf(flags))
    .default(defaultValue)
    .argParser((text: string) => {
      if (text === 'true') return true;
      if (text === 'false') return false;
      throw new UsageError(`--${name} takes true or false, got "${text}" (from the flag or ${envVarOf(flags)})`);
    });
}

/**
 * How to name an option in an error: its flag, and its variable when the value came from there (the user looks in
 * the pod spec, not the command line).
 */
export function optionName(command: Command, key: string): string {
  const option = command.options.find((candidate) => candidate.attributeName() === key);
  const flag = option?.long ?? `--${key}`;
  return command.getOptionValueSource(key) === 'env' && option?.envVar ? `${option.envVar} (${flag})` : flag;
}
