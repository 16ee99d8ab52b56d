/**
 * User-written constraint and derived-objective expressions (`"latencyMs <= 5"`, `"valAccuracy - 0.01 * log10(paramCount)"`),
 * parsed and evaluated with mathjs (the project's expression package), locked down as mathjs's security guidance advises:
 *
 * - a private instance (`create(all, { number: 'number', predictable: true })`: plain numbers, and NaN rather than a complex
 *   number for log(-1)) whose `import`, `createUnit`, `evaluate`, `parse`, `simplify`, `derivative`, `compile`, `resolve`,
 *   `reviver` and friends are replaced by functions that throw, after the parser was kept aside for this module's own use;
 * - and, stricter than the guidance, every parsed tree is checked against a whitelist before it is compiled: numbers,
 *   parentheses, the arithmetic operators (+ - * / ^ mod, unary minus/plus), calls of the whitelisted functions below by name,
 *   and the metric / parameter names given at compile time. Everything else is refused with an OptionsError: member access
 *   (`a.constructor`, `a["__proto__"]`), indexing, assignments and function definitions, strings, matrices, objects, ranges,
 *   conditionals, blocks, units, any other function (`import`, `evaluate`, `parse`, `createUnit`...) and unknown names.
 *   A comparison is allowed only at the top of a constraint.
 *
 * So an expression can only compute a number from the values it is handed; it cannot reach mathjs's internals, JavaScript
 * objects or the process. Pure module: imports mathjs and the error classes only.
 */
import { createRequire } from 'node:module';
import type { MathNode, MathJsInstance } from 'mathjs';
import { OptionsError } from '../core/errors.js';

/** Functions an expression may call (mathjs semantics: `log(x)` is natural, `log(x, base)` any base). */
export const EXPRESSION_FUNCTIONS = [
  'abs',
  'sqrt',
  'cbrt',
  'exp',
  'expm1',
  'log',
  'log10',
  'log2',
  'log1p',
  'pow',
  'min',
  'max',
  'floor',
  'ceil',
  'round',
  'sign',
  'hypot',
] as const;
/** Constants an expression may use besides the given names. */
const CONSTANTS = ['pi', 'e'] as const;
const OPERATORS = new Set(['add', 'subtract', 'multiply', 'divide', 'pow', 'mod', 'unaryMinus', 'unaryPlus']);
const COMPARISONS: { readonly [fn: string]: 'le' | 'ge' } = { smallerEq: 'le', smaller: 'le', largerEq: 'ge', larger: 'ge' };

/**
 * The locked-down mathjs parser, built on the first compile: mathjs takes seconds to load, and `import 'tunekit'` must stay
 * light for the studies (most of them) that never compile an expression. Loaded synchronously (mathjs ships CommonJS too)
 * because sweep validation is synchronous.
 */
let parser: ((source: string) => MathNode) | undefined;

function lockedParse(): (source: string) => MathNode {
  if (parser) return parser;
  const { all, create } = createRequire(import.meta.url)('mathjs') as typeof import('mathjs');
  const math: MathJsInstance = create(all, { number: 'number', predictable: true });
  // Kept before the lock-down: the only way this module parses. The instance's own entry points are disabled below.
  const parse = math.parse;
  const disabled = (name: string) => () => {
    throw new OptionsError(`function ${name} is disabled in tunekit expressions`);
  };
  math.import(
    Object.fromEntries(
      [
        'import',
        'createUnit',
        'evaluate',
        'parse',
        'simplify',
        'simplifyConstant',
        'simplifyCore',
        'derivative',
        'compile',
        'resolve',
        'reviver',
        'replacer',
        'rationalize',
        'parser',
        'chain',
        'help',
      ].map((name) => [name, disabled(name)]),
    ),
    { override: true },
  );
  parser = (source) => parse(source);
  return parser;
}

/** What a compiled expression reads: metric values (e.g. a trial's final metrics) and the trial's params. */
export type ExpressionInput = { readonly [name: string]: unknown };
/** A compiled expression: a number from a trial's metrics and params. */
export type CompiledExpression = (metrics: ExpressionInput, params?: ExpressionInput) => number;

type Kind = 'constraint' | 'expression';

function describeNames(metrics: readonly string[], params: readonly string[]): string {
  const m = metrics.length ? metrics.join(', ') : '(none)';
  return (
    `known metrics: ${m}` + (params.length ? `; params: ${params.join(', ')}` : '') + `; functions: ${EXPRESSION_FUNCTIONS.join(', ')}`
  );
}

function parseChecked(kind: Kind, source: string): MathNode {
  if (typeof source !== 'string' || source.trim() === '')
    throw new OptionsError(`${kind} must be a non-empty string such as "latencyMs <= 5", got ${JSON.stringify(source)}`);
  if (source.length > 1000)
    throw new OptionsError(`${kind} "${source.slice(0, 40)}..." is ${source.length} characters long; at most 1000 are allowed`);
  try {
    return lockedParse()(source);
  } catch (e) {
    const at = typeof (e as { char?: unknown }).char === 'number' ? ` at character ${(e as { char: number }).char}` : '';
    throw new OptionsError(`${kind} "${source}" has a syntax error${at}: ${(e as Error).message}`);
  }
}

/** Refuses every node outside the whitelist (see the module comment); `top` allows one comparison at the root. */
function check(
  kind: Kind,
  source: string,
  node: MathNode,
  names: ReadonlySet<string>,
  metrics: readonly string[],
  params: readonly string[],
  top: boolean,
): void {
  const refuse = (what: string): never => {
    throw new OptionsError(
      `${kind} "${source}": ${what} is not allowed; use numbers, + - * / ^, the functions ${EXPRESSION_FUNCTIONS.join(', ')} and the names (${describeNames(metrics, params)})`,
    );
  };
  switch (node.type) {
    case 'ConstantNode': {
      const value = (node as unknown as { value: unknown }).value;
      if (typeof value !== 'number') refuse(`the constant ${JSON.stringify(value)}`);
      return;
    }
    case 'ParenthesisNode':
      return check(kind, source, (node as unknown as { content: MathNode }).content, names, metrics, params, top);
    case 'SymbolNode': {
      const name = (node as unknown as { name: string }).name;
      if (names.has(name) || (CONSTANTS as readonly string[]).includes(name)) return;
      throw new OptionsError(`${kind} "${source}" uses the unknown name "${name}"; ${describeNames(metrics, params)}`);
    }
    case 'OperatorNode': {
      const op = node as unknown as { fn: string; op: string; args: MathNode[] };
      if (COMPARISONS[op.fn]) {
        if (!(top && kind === 'constraint'))
          refuse(`the comparison "${op.op}" here (a constraint has one comparison, at the top: "a <= b")`);
      } else if (!OPERATORS.has(op.fn)) {
        refuse(op.fn === 'equal' ? 'the comparison "==" (a constraint is "a <= b" or "a >= b")' : `the operator "${op.op}"`);
      }
      for (const a of op.args) check(kind, source, a, names, metrics, params, false);
      return;
    }
    case 'FunctionNode': {
      const fn = node as unknown as { fn: MathNode; args: MathNode[] };
      const callee = fn.fn.type === 'SymbolNode' ? (fn.fn as unknown as { name: string }).name : undefined;
      if (!callee || !(EXPRESSION_FUNCTIONS as readonly string[]).includes(callee)) refuse(`calling ${callee ?? 'an expression'}`);
      for (const a of fn.args) check(kind, source, a, names, metrics, params, false);
      return;
    }
    case 'RelationalNode':
      return refuse('a chained comparison (write one comparison per constraint)');
    case 'AccessorNode':
    case 'IndexNode':
      return refuse('member access or indexing');
    case 'AssignmentNode':
    case 'FunctionAssignmentNode':
      return refuse('an assignment');
    default:
      return refuse(`a ${node.type}`);
  }
}

function compileNode(kind: Kind, source: string, node: MathNode, names: readonly string[]): CompiledExpression {
  const code = node.compile();
  const nameSet = new Set(names);
  return (metrics, params = {}) => {
    // A Map scope: mathjs reads names from it with Map#get, never from an object's prototype chain.
    const scope = new Map<string, number>();
    for (const name of nameSet) {
      const hasMetric = Object.prototype.hasOwnProperty.call(metrics, name);
      const raw = hasMetric ? metrics[name] : Object.prototype.hasOwnProperty.call(params, name) ? params[name] : undefined;
      if (raw === undefined) {
        throw new OptionsError(
          `${kind} "${source}" needs "${name}", which this trial did not report (its metrics: ${Object.keys(metrics).join(', ') || 'none'})`,
        );
      }
      const value = typeof raw === 'boolean' ? Number(raw) : raw;
      if (typeof value !== 'number')
        throw new OptionsError(`${kind} "${source}" needs "${name}" to be a number, got ${JSON.stringify(raw)}`);
      scope.set(name, value);
    }
    const out: unknown = code.evaluate(scope);
    const v = typeof out === 'boolean' ? Number(out) : out;
    if (typeof v !== 'number') throw new OptionsError(`${kind} "${source}" did not evaluate to a number (got ${typeof out})`);
    return v;
  };
}

/** The names `node` reads (its free SymbolNodes that are not functions or constants). */
function usedNames(node: MathNode, names: readonly string[]): string[] {
  const used = new Set<string>();
  node.traverse((n, path) => {
    if (n.type === 'SymbolNode' && path !== 'fn') {
      const name = (n as unknown as { name: string }).name;
      if (names.includes(name)) used.add(name);
    }
  });
  return [...used];
}

/**
 * Compiles a constraint such as `"latencyMs <= 5"` or `"modelBytes / 1e6 >= 0.5 * paramCount / 1e6"` into a function returning
 * Optuna's constraint value: `a <= b` gives a - b, `a >= b` gives b - a (`<` and `>` the same), so <= 0 means satisfied.
 * Without a comparison the expression itself is the constraint value. `metricNames` and `paramNames` are every name the
 * expression may use (metrics win when a name is both).
 * @throws OptionsError naming the expression: a syntax error (with its character position), an unknown name (listing the
 * known ones), or anything outside the whitelist. The returned function throws an OptionsError when a name it reads is
 * missing from the trial or not a number.
 */
export function compileConstraint(
  expression: string,
  metricNames: readonly string[],
  paramNames: readonly string[] = [],
): CompiledExpression {
  const names = [...metricNames, ...paramNames];
  const node = parseChecked('constraint', expression);
  check('constraint', expression, node, new Set(names), metricNames, paramNames, true);
  let root = node;
  while (root.type === 'ParenthesisNode') root = (root as unknown as { content: MathNode }).content;
  const op = root.type === 'OperatorNode' ? (root as unknown as { fn: string; args: MathNode[] }) : undefined;
  const side = op ? COMPARISONS[op.fn] : undefined;
  if (!op || !side) return compileNode('constraint', expression, node, usedNames(node, names));
  const lhs = compileNode('constraint', expression, op.args[0]!, usedNames(op.args[0]!, names));
  const rhs = compileNode('constraint', expression, op.args[1]!, usedNames(op.args[1]!, names));
  return side === 'le' ? (m, p) => lhs(m, p) - rhs(m, p) : (m, p) => rhs(m, p) - lhs(m, p);
}

/**
 * Compiles a derived objective such as `"valAccuracy - 0.01 * log10(paramCount)"` into a function of a trial's metrics (and
 * params). Same whitelist as constraints, without comparisons.
 * @throws OptionsError as {@link compileConstraint}.
 */
export function compileExpression(
  expression: string,
  metricNames: readonly string[],
  paramNames: readonly string[] = [],
): CompiledExpression {
  const names = [...metricNames, ...paramNames];
  const node = parseChecked('expression', expression);
  check('expression', expression, node, new Set(names), metricNames, paramNames, false);
  return compileNode('expression', expression, node, usedNames(node, names));
}
