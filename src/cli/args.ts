/**
 * Command definitions for commander (https://github.com/tj/commander.js): each subcommand declares its arguments and options
 * once, with descriptions, in a light module (no TF.js, no onnxruntime), and the same definition serves `tunekit <command>
 * --help`, unknown-option errors with a suggestion, and the `parse<Command>Args(argv)` functions that the commands and tests
 * call. Values come back keyed by the long flag name (`max-accuracy-drop`), as strings or booleans; each command checks its
 * own values (numbers, ranges) and throws OptionsError, which exits 2 like every usage error.
 */
import { Command, CommanderError, Option } from 'commander';
import { OptionsError } from '../core/errors.js';

/** One option: commander flags (`--trials <n>`, `--json`), a description, and whether it may repeat. */
export interface OptionDef {
  readonly flags: string;
  readonly description: string;
  readonly multiple?: boolean;
  readonly choices?: readonly string[];
}

/** One subcommand. `args` are commander argument specs (`<sweep>`, `[dir]`), each with a description. */
export interface CommandDef {
  readonly name: string;
  readonly summary: string;
  readonly args: readonly (readonly [spec: string, description: string])[];
  readonly options: readonly OptionDef[];
  /** Extra help text after the options (examples, exit codes). */
  readonly after?: string;
}

/** The exit codes every command uses (documented in `tunekit --help` and README). */
export const EXIT = { done: 0, failed: 1, usage: 2, interrupted: 130 } as const;

export const EXIT_HELP = `
Exit codes: 0 done, 1 failed, 2 bad usage, 130 interrupted (Ctrl-C / SIGTERM; continue with \`tunekit resume\`).`;

/** A commander Command for `def` (no action attached). Parse errors throw CommanderError instead of exiting. */
export function buildCommand(def: CommandDef): Command {
  const cmd = new Command(def.name).description(def.summary).exitOverride().showSuggestionAfterError(true).allowExcessArguments(true);
  for (const [spec, description] of def.args) cmd.argument(spec, description);
  for (const o of def.options) {
    const opt = new Option(o.flags, o.description);
    if (o.choices) opt.choices([...o.choices]);
    if (o.multiple) opt.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    cmd.addOption(opt);
  }
  if (def.after) cmd.addHelpText('after', def.after);
  return cmd;
}

/** What a parse returns: option values by long flag name, and the positional arguments. */
export interface Parsed {
  readonly values: { readonly [flag: string]: string | boolean | readonly string[] | undefined };
  readonly positionals: readonly string[];
}

/** Reads a parsed command's values, keyed by long flag name. */
export function parsedOf(cmd: Command): Parsed {
  const values: { [flag: string]: string | boolean | readonly string[] | undefined } = {};
  for (const o of cmd.options) {
    const long = o.long?.replace(/^--/, '');
    if (long) values[long] = cmd.getOptionValue(o.attributeName()) as string | boolean | readonly string[] | undefined;
  }
  return { values, positionals: cmd.args };
}

/** Parses `argv` (the words after the command name) with `def`; a usage problem throws OptionsError. */
export function parseCommand(def: CommandDef, argv: readonly string[]): Parsed {
  const cmd = buildCommand(def).configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) throw new OptionsError(`${def.name}: ${error.message.replace(/^error: /, '')}`);
    throw error;
  }
  return parsedOf(cmd);
}

/** A string option's value (undefined when absent). */
export function str(p: Parsed, flag: string): string | undefined {
  const v = p.values[flag];
  return typeof v === 'string' ? v : undefined;
}

/** An integer option's value in [min, max], or undefined; OptionsError naming the flag otherwise. */
export function intFlag(p: Parsed, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = str(p, flag);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new OptionsError(
      `--${flag} must be an integer >= ${min}${max < Number.MAX_SAFE_INTEGER ? ` and <= ${max}` : ''}, got ${JSON.stringify(v)}`,
    );
  }
  return n;
}
