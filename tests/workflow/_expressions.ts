/**
 * GitHub Actions expressions, evaluated by GitHub's own engine (npm
 * `@actions/expressions`), for the workflow harness: `${{ }}` in any value,
 * `if:` conditions with the status functions and the implicit `success()`.
 *
 * Facts (https://docs.github.com/actions/writing-workflows/choosing-what-your-workflow-does/evaluate-expressions-in-workflows-and-actions):
 * - an `if:` may omit `${{ }}`; one that mixes text and `${{ }}` is a string,
 *   so it is true whenever it is not empty;
 * - "A default status check of success() is applied unless you include one of
 *   these functions" (success, always, cancelled, failure);
 * - a value that is exactly one `${{ }}` keeps the expression's type (an
 *   object from `fromJSON` stays an object); text around it makes a string.
 *
 * @module
 */
import { data, Evaluator, Lexer, Parser } from "@actions/expressions";
import { truthy } from "@actions/expressions/result";

/** Context values by name (`github`, `env`, `needs`, ...), as plain JSON. */
export type Contexts = Record<string, unknown>;

/** What the status functions answer where the expression is evaluated. */
export interface Status {
  /** Every earlier step (or every needed job) succeeded. */
  success: boolean;
  /** An earlier step (or a needed job) failed. */
  failure: boolean;
  /** The run was cancelled. */
  cancelled: boolean;
}

const STATUS_FUNCTIONS = ["success", "failure", "cancelled", "always"] as const;

function toData(value: unknown): data.ExpressionData {
  return JSON.parse(JSON.stringify(value ?? null), data.reviver);
}

function fromData(value: data.ExpressionData): unknown {
  return JSON.parse(JSON.stringify(value, data.replacer));
}

/**
 * Evaluates one expression (the text inside `${{ }}`) to a JSON value.
 *
 * @example
 * ```ts
 * evaluate("fromJSON(x).node", { x: '{"node":[1,2]}' }); // [1, 2]
 * ```
 */
export function evaluate(expression: string, contexts: Contexts, status?: Status): unknown {
  const tokens = new Lexer(expression).lex().tokens;
  const functions = status
    ? STATUS_FUNCTIONS.map((name) => ({ name, minArgs: 0, maxArgs: 0 }))
    : [];
  const parsed = new Parser(tokens, Object.keys(contexts), functions).parse();
  const calls = new Map(
    status
      ? STATUS_FUNCTIONS.map((name) => [name, {
        name,
        minArgs: 0,
        maxArgs: 0,
        call: () =>
          new data.BooleanData(
            name === "always"
              ? true
              : name === "success"
              ? status.success && !status.cancelled
              : name === "failure"
              ? status.failure
              : status.cancelled,
          ),
      }])
      : [],
  );
  const dictionary = new data.Dictionary(
    ...Object.entries(contexts).map(([key, value]) => ({ key, value: toData(value) })),
  );
  return fromData(new Evaluator(parsed, dictionary, calls).evaluate());
}

/**
 * The `${{ ... }}` spans of a text, with their expressions. A `}}` inside a
 * quoted string does not end one.
 *
 * @example
 * ```ts
 * findExpressions("a ${{ b }} c"); // [{ start: 2, end: 10, expression: " b " }]
 * ```
 */
export function findExpressions(
  text: string,
): { start: number; end: number; expression: string }[] {
  const found: { start: number; end: number; expression: string }[] = [];
  let i = 0;
  while ((i = text.indexOf("${{", i)) >= 0) {
    let j = i + 3;
    let quoted = false;
    while (j < text.length) {
      if (text[j] === "'") {
        if (quoted && text[j + 1] === "'") j++;
        else quoted = !quoted;
      } else if (!quoted && text.startsWith("}}", j)) break;
      j++;
    }
    if (j >= text.length) throw new SyntaxError(`Unclosed \${{ in ${JSON.stringify(text)}.`);
    found.push({ start: i, end: j + 2, expression: text.slice(i + 3, j) });
    i = j + 2;
  }
  return found;
}

/** How an interpolated value becomes text: as GitHub coerces expression results to strings. */
function asText(value: unknown): string {
  return toData(value).coerceString();
}

/**
 * Replaces every `${{ }}` in a value (strings inside objects and arrays too).
 * A string that is exactly one expression keeps the expression's type.
 *
 * @example
 * ```ts
 * interpolate("node ${{ matrix.node }}", { matrix: { node: 3 } }); // "node 3"
 * ```
 */
export function interpolate(value: unknown, contexts: Contexts, status?: Status): unknown {
  if (typeof value === "string") {
    const spans = findExpressions(value);
    if (spans.length === 0) return value;
    if (spans.length === 1 && spans[0]!.start === 0 && spans[0]!.end === value.length) {
      return evaluate(spans[0]!.expression, contexts, status);
    }
    let out = "";
    let at = 0;
    for (const s of spans) {
      out += value.slice(at, s.start) + asText(evaluate(s.expression, contexts, status));
      at = s.end;
    }
    return out + value.slice(at);
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, contexts, status));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, contexts, status)]),
    );
  }
  return value;
}

/** Whether an expression calls one of the status functions. */
function callsStatus(expression: string): boolean {
  const tokens = new Lexer(expression).lex().tokens;
  return tokens.some((t, i) =>
    (STATUS_FUNCTIONS as readonly string[]).includes(t.lexeme.toLowerCase()) &&
    tokens[i + 1]?.lexeme === "("
  );
}

/**
 * Evaluates an `if:` (a job's or a step's) as GitHub does.
 *
 * @example
 * ```ts
 * condition("needs.a.outputs.run == 'true'", { needs: { a: { outputs: { run: "true" } } } },
 *   { success: true, failure: false, cancelled: false }); // true
 * ```
 */
export function condition(
  raw: unknown,
  contexts: Contexts,
  status: Status,
): boolean {
  if (raw === undefined || raw === null) return status.success && !status.cancelled;
  if (typeof raw === "boolean" || typeof raw === "number") {
    return status.success && !status.cancelled && Boolean(raw);
  }
  let text = String(raw).trim();
  const spans = findExpressions(text);
  if (spans.length > 0) {
    if (spans.length === 1 && spans[0]!.start === 0 && spans[0]!.end === text.length) {
      text = spans[0]!.expression;
    } else {
      // Text around ${{ }}: a string, true when not empty (and the default success() applies).
      return status.success && !status.cancelled &&
        String(interpolate(text, contexts, status)) !== "";
    }
  }
  const expression = callsStatus(text) ? text : `success() && (${text})`;
  return truthy(toData(evaluate(expression, contexts, status)));
}
