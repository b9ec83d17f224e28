/** How every command presents itself: examples under --help, defaults shown alike, one -o flag for output formats. */
import { type Command, Option } from 'commander';
import { UsageError } from '../util/errors.js';

/** Appends an "Examples:" block (and optional notes) to a command's --help. */
export function addExamples(command: Command, examples: readonly string[], notes: readonly string[] = []): Command {
  const lines = ['', 'Examples:', ...examples.map((example) => `  ${example}`)];
  if (notes.length > 0) lines.push('', ...notes);
  return command.addHelpText('after', lines.join('\n'));
}

/**
 * `-o, --output <format>` taking one of `formats`: the human form first (the default), then json and yaml wherever
 * the data has a structure. A wrong value is a usage error naming the choices.
 */
export function outputFormatOption<F extends string>(formats: readonly [F, ...F[]]): Option {
  return new Option('-o, --output <format>', `output format: ${formats.join(', ')}`)
    .default(formats[0], formats[0])
    .argParser((value: string) => {
      const format = formats.find((known) => known === value);
      if (!format) throw new UsageError(`-o "${value}" is not an output format; use one of ${formats.join(', ')}`);
      return format;
    });
}

/**
 * Shows every option's default the same way, as the text the flag takes (`10s`, `8080`, `table`), not JSON (`"10s"`).
 * Options that set their own description (a duration held in ms, say) keep it.
 */
export function describeDefaults(command: Command): void {
  for (const option of command.options) {
    const value: unknown = option.defaultValue;
    if (option.defaultValueDescription === undefined && (typeof value === 'string' || typeof value === 'number'))
      option.defaultValueDescription = String(value);
  }
  for (const sub of command.commands) describeDefaults(sub);
}
