/**
 * Contract checking against GitHub's official OpenAPI description
 * (`@octokit/openapi`, the api.github.com document): a fetch wrapper that
 * validates every response (status documented for the operation, JSON body
 * against that status's schema) so a drifting emulator fails the test.
 *
 * The description's `oneOf`s overlap (a user object also matches
 * `empty-object`), so they are checked as `anyOf`; `nullable` without a
 * `type` becomes `anyOf [null, …]`. Both are OpenAPI 3.0 quirks, not
 * loosening of what GitHub documents.
 *
 * @module
 */
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsPlugin from "ajv-formats";

// deno-lint-ignore no-explicit-any
type Json = any;

const SPEC = "@octokit/openapi/generated/api.github.com.json";
let specPromise: Promise<Json> | undefined;

/**
 * Loads and prepares the OpenAPI description once per process.
 *
 * @example
 * ```ts
 * const spec = await loadSpec();
 * ```
 */
export function loadSpec(): Promise<Json> {
  specPromise ??= (async () => {
    const specifier = SPEC; // a variable keeps deno check from typing a 13 MB JSON file
    const module = await import(specifier, { with: { type: "json" } });
    const spec = module.default;
    normalise(spec);
    return spec;
  })();
  return specPromise;
}

/** Rewrites OpenAPI 3.0 constructs ajv cannot take as they are. */
function normalise(node: Json): void {
  if (Array.isArray(node)) {
    for (const item of node) normalise(item);
    return;
  }
  if (typeof node !== "object" || node === null) return;
  for (const value of Object.values(node)) normalise(value);
  if (Array.isArray(node.oneOf)) {
    if (node.anyOf) node.allOf = [...(node.allOf ?? []), { anyOf: node.anyOf }];
    node.anyOf = node.oneOf;
    delete node.oneOf;
    delete node.discriminator;
  }
  if (node.nullable === true) {
    if (Array.isArray(node.enum) && !node.enum.includes(null)) node.enum.push(null);
    if (node.type === undefined) {
      const rest = { ...node };
      delete rest.nullable;
      for (const key of Object.keys(node)) delete node[key];
      node.anyOf = [{ type: "null" }, rest];
    }
  }
}

interface Operation {
  id: string;
  method: string;
  template: string;
  regex: RegExp;
  literals: number;
  responses: Record<string, Json>;
  pointer: string;
}

const GREEDY = new Set(["ref", "branch", "tag", "path"]);

/**
 * Validates responses against the description.
 *
 * @example
 * ```ts
 * const contract = new Contract(await loadSpec());
 * const problems = await contract.check(new Request("http://x/user"), new Response("{}"));
 * ```
 */
export class Contract {
  #spec: Json;
  #ajv: Ajv;
  #ops: Operation[] = [];
  #validators = new Map<string, ValidateFunction>();
  /** `operationId status` pairs validated so far. */
  readonly seen = new Set<string>();
  /** Every problem found so far. */
  readonly violations: string[] = [];

  /** Indexes the operations of a prepared description. */
  constructor(spec: Json) {
    this.#spec = spec;
    this.#ajv = new Ajv({ strict: false, allErrors: true, logger: false });
    (addFormatsPlugin as unknown as (ajv: Ajv) => void)(this.#ajv);
    this.#ajv.addSchema(spec, "gh");
    for (const [template, item] of Object.entries<Json>(spec.paths)) {
      for (const method of ["get", "post", "patch", "put", "delete"]) {
        const op = item[method];
        if (!op) continue;
        const parts = template.split("/").slice(1);
        const regex = new RegExp(
          "^" + parts.map((p, i) => {
            const m = /^\{(\w+)\}$/.exec(p);
            if (!m) return "/" + p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
            return i === parts.length - 1 && GREEDY.has(m[1]!) ? "/(.+)" : "/([^/]+)";
          }).join("") + "/?$",
        );
        this.#ops.push({
          id: op.operationId,
          method: method.toUpperCase(),
          template,
          regex,
          literals: parts.filter((p) => !p.startsWith("{")).length,
          responses: op.responses,
          pointer: `/paths/${escape(template)}/${method}/responses`,
        });
      }
    }
    this.#ops.sort((a, b) => b.literals - a.literals);
  }

  /** The operation a method and path belong to. */
  operation(method: string, pathname: string): Operation | undefined {
    return this.#ops.find((o) => o.method === method && o.regex.test(pathname));
  }

  #validator(pointer: string): ValidateFunction {
    let v = this.#validators.get(pointer);
    if (!v) {
      v = this.#ajv.compile({ $ref: `gh#${pointer}` });
      this.#validators.set(pointer, v);
    }
    return v;
  }

  /** Response object (refs followed) and its JSON pointer for a status. */
  #response(op: Operation, status: number): { response: Json; pointer: string } | undefined {
    let response = op.responses[String(status)];
    let pointer = `${op.pointer}/${status}`;
    if (!response) return undefined;
    if (response.$ref) {
      const name = String(response.$ref).split("/").pop()!;
      response = this.#spec.components.responses[name];
      pointer = `/components/responses/${escape(name)}`;
    }
    return { response, pointer };
  }

  /**
   * Checks one exchange; returns the problems found (also kept in `violations`).
   * `response` must be unread (it is cloned).
   */
  async check(request: Request, response: Response): Promise<string[]> {
    const url = new URL(request.url);
    const method = request.method.toUpperCase();
    const where = `${method} ${url.pathname}${url.search} -> ${response.status}`;
    const problems: string[] = [];
    // GraphQL is described by its own schema, not the REST description.
    if (url.pathname.startsWith("/_emulator") || url.pathname === "/graphql") return problems;
    const op = this.operation(method, url.pathname);
    if (!op) {
      if (response.status === 404) {
        // A path GitHub does not have: its usual 404 body.
        this.#validate(
          where,
          "/components/schemas/basic-error",
          await response.clone().text(),
          problems,
        );
      } else {
        problems.push(`${where}: no operation in the OpenAPI description matches`);
      }
      this.violations.push(...problems);
      return problems;
    }
    if (!response.headers.get("date")) problems.push(`${where}: no Date header`);
    const status = response.status;
    this.seen.add(`${op.id} ${status}`);
    const text = await response.clone().text();
    const found = this.#response(op, status);
    if (!found) {
      const conditional = request.headers.has("if-none-match") ||
        request.headers.has("if-modified-since");
      if (status === 304 && method === "GET" && conditional) {
        // Conditional requests work on every GET, documented or not
        // (https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api).
        if (text !== "") problems.push(`${where}: a 304 must have no body`);
      } else if (status >= 400) {
        // Limits, auth and server errors are answered by every operation
        // though few list them: they use GitHub's basic-error shape.
        this.#validate(where, "/components/schemas/basic-error", text, problems);
      } else {
        problems.push(`${where}: status ${status} is not documented for ${op.id}`);
      }
    } else {
      const content = found.response.content as Record<string, Json> | undefined;
      const jsonType = content &&
        Object.keys(content).find((type) => type === "application/json" || type.endsWith("+json"));
      if (!content || Object.keys(content).length === 0) {
        if (status >= 400 && text !== "") {
          // An error documented without a schema (e.g. delete-ref's 422):
          // GitHub still sends its basic-error body.
          this.#validate(where, "/components/schemas/basic-error", text, problems);
        } else if (text !== "") {
          problems.push(`${where}: expected no body, got ${text.slice(0, 80)}`);
        }
      } else if (jsonType) {
        const type = response.headers.get("content-type") ?? "";
        if (!type.startsWith("application/json")) {
          problems.push(`${where}: content-type ${JSON.stringify(type)} is not JSON`);
        }
        this.#validate(
          where,
          `${found.pointer}/content/${escape(jsonType)}/schema`,
          text,
          problems,
        );
      }
    }
    this.violations.push(...problems);
    return problems;
  }

  #validate(where: string, pointer: string, text: string, problems: string[]): void {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      problems.push(`${where}: body is not JSON: ${text.slice(0, 80)}`);
      return;
    }
    const validate = this.#validator(pointer);
    if (!validate(data)) {
      const errors = (validate.errors ?? []).slice(0, 8).map((e) =>
        `${e.instancePath || "/"} ${e.message}${e.params ? " " + JSON.stringify(e.params) : ""}`
      );
      problems.push(`${where}: body does not match ${pointer}:\n    ${errors.join("\n    ")}`);
    }
  }

  /** Throws when any response so far broke the contract. */
  assertClean(): void {
    if (this.violations.length > 0) {
      throw new Error(
        `Responses broke GitHub's OpenAPI contract:\n  ${this.violations.join("\n  ")}`,
      );
    }
  }
}

function escape(part: string): string {
  return encodeURIComponent(part.replace(/~/g, "~0").replace(/\//g, "~1"));
}

/** A fetch-compatible function (what Octokit takes as `request.fetch`). */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * Wraps a fetch so that every response is checked against the contract;
 * a response that breaks it makes the call reject (and is kept in
 * `contract.violations`). Redirects are followed here (the 302 itself is
 * checked too), so in-process handlers and real sockets behave alike.
 *
 * @example
 * ```ts
 * const fetch = contractFetch(contract, globalThis.fetch);
 * const octokit = new Octokit({ baseUrl: url, request: { fetch } });
 * ```
 */
export function contractFetch(contract: Contract, inner: FetchLike): FetchLike {
  return async (input, init) => {
    let request = new Request(input, init);
    for (let hops = 0;; hops++) {
      const response = await inner(request.clone(), { redirect: "manual" });
      const problems = await contract.check(request, response);
      if (problems.length > 0) {
        throw new Error(`OpenAPI contract broken:\n  ${problems.join("\n  ")}`);
      }
      const location = response.headers.get("location");
      const follow = response.status >= 301 && response.status <= 308 && location !== null &&
        request.redirect !== "manual" && hops < 5;
      if (!follow) return response;
      await response.body?.cancel();
      request = new Request(new URL(location, request.url), {
        method: "GET",
        headers: request.headers,
      });
    }
  };
}
