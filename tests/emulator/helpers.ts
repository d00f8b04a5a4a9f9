/**
 * Test harness: an emulator (in process or over real HTTP), a contract
 * checker, and Octokit clients whose every response is validated against
 * GitHub's OpenAPI description.
 *
 * @module
 */
import { Octokit } from "@octokit/rest";
import {
  createEmulator,
  type EmulatorControl,
  type EmulatorOptions,
  startEmulator,
} from "../../src/emulator/mod.ts";
import { Contract, contractFetch, type FetchLike, loadSpec } from "./openapi_contract.ts";

/** What a test gets. */
export interface Harness {
  url: string;
  control: EmulatorControl;
  contract: Contract;
  /** Contract-checked fetch to the emulator. */
  fetch: FetchLike;
  /** An Octokit client for `token` (no token: anonymous), contract-checked. */
  octokit(token?: string): Octokit;
  /** Stops the emulator and fails when any response broke the contract. */
  close(): Promise<void>;
}

let shared: Contract | undefined;

/**
 * One contract checker per test file (the description loads once).
 *
 * @example
 * ```ts
 * const contract = await sharedContract();
 * ```
 */
export async function sharedContract(): Promise<Contract> {
  shared ??= new Contract(await loadSpec());
  return shared;
}

/**
 * Starts an emulator for a test; `http: true` serves it on a real socket.
 *
 * @example
 * ```ts
 * const h = await harness({ demo: true });
 * await h.octokit("ghp_emulator_owner").rest.users.getAuthenticated();
 * await h.close();
 * ```
 */
export async function harness(
  options: EmulatorOptions & { http?: boolean } = {},
): Promise<Harness> {
  const contract = await sharedContract();
  const before = contract.violations.length;
  let url: string;
  let control: EmulatorControl;
  let inner: FetchLike;
  let stop: () => Promise<void>;
  if (options.http) {
    const running = await startEmulator(options);
    url = running.url;
    control = running.control;
    inner = (input, init) => fetch(input, init);
    stop = () => running.close();
  } else {
    const emulator = createEmulator(options);
    url = "http://emulator.test";
    control = emulator.control;
    inner = (input, init) => emulator.handler(new Request(input, init));
    stop = () => Promise.resolve();
  }
  const checked = contractFetch(contract, inner);
  return {
    url,
    control,
    contract,
    fetch: checked,
    octokit: (token?: string) =>
      new Octokit({
        ...(token ? { auth: token } : {}),
        baseUrl: url,
        request: { fetch: checked, retries: 0 },
        log: { debug() {}, info() {}, warn() {}, error() {} },
      }),
    async close() {
      await stop();
      const mine = contract.violations.slice(before);
      if (mine.length > 0) {
        throw new Error(`Responses broke GitHub's OpenAPI contract:\n  ${mine.join("\n  ")}`);
      }
    },
  };
}

/**
 * The error an Octokit call rejects with (fails when it resolves).
 *
 * @example
 * ```ts
 * const e = await rejection(octokit.rest.users.getAuthenticated());
 * e.status; // 401
 * ```
 */
export async function rejection(
  promise: Promise<unknown>,
): Promise<
  { status: number; message: string; response?: { headers: Record<string, string>; data: unknown } }
> {
  try {
    await promise;
  } catch (error) {
    return error as { status: number; message: string };
  }
  throw new Error("Expected the call to fail, but it succeeded.");
}

/**
 * Users, tokens and a repository most tests start from.
 *
 * @example
 * ```ts
 * const h = await harness({ ...BASIC, http: true });
 * ```
 */
export const BASIC: EmulatorOptions = {
  users: [
    { login: "octo", token: "ghp_octo", name: "Octo Cat" },
    { login: "writer", token: "ghp_writer" },
    { login: "reader", token: "ghp_reader" },
    { login: "stranger", token: "ghp_stranger" },
    { login: "github-actions[bot]", id: 41898282, type: "Bot" },
  ],
  tokens: [{
    token: "ghs_actions",
    login: "github-actions[bot]",
    kind: "actions",
    repos: ["octo/hello"],
  }],
  repos: [{
    owner: "octo",
    name: "hello",
    permissions: { writer: "write", reader: "read" },
    commits: [{ message: "root" }, { message: "second" }],
    labels: [{ name: "p2p-dev", color: "5319e7" }],
    issues: [{ title: "Swarm", author: "octo", labels: ["p2p-dev"], body: "- [ ] one" }],
    workflows: [{ name: "p2p-dev", path: ".github/workflows/p2p-dev.yml" }],
    runs: [{
      workflow: "p2p-dev.yml",
      jobs: [{ name: "node (1)" }, { name: "node (2)", status: "in_progress" }],
    }],
    releases: [{
      tag: "v1.0.0",
      author: "octo",
      assets: [{
        name: "p2p-dev.js",
        text: "console.log('hi')\n",
        contentType: "application/javascript",
      }],
    }],
  }],
};

/**
 * Coordinates of `BASIC`'s repository.
 *
 * @example
 * ```ts
 * await octokit.rest.issues.get({ ...REPO, issue_number: 1 });
 * ```
 */
export const REPO = { owner: "octo", repo: "hello" } as const;
