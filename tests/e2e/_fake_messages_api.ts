/**
 * A small fake of Anthropic's Messages API for running the real `claude` CLI
 * in tests (`ANTHROPIC_BASE_URL` points at it). It plays a scripted
 * conversation, chosen by a marker in the conversation's first user message:
 *
 * - `SCENARIO:write [FILE<<name>>]`: a `Write` of the file (in the working
 *   directory the CLI names in its system prompt), then a final text;
 * - `SCENARIO:bash CMD<<command>>`: a `Bash` call of the command, then a final
 *   text;
 * - `SCENARIO:subagent`: an `Agent` call whose prompt is `SCENARIO:write`, then
 *   a final text (also when the CLI tells the agent the subagent finished);
 * - `SCENARIO:loop`: a `Write` every turn, so the run ends at `--max-turns`;
 * - `SCENARIO:apierror`: an HTTP 400 error;
 * - `SCENARIO:flaky`: two 529 "overloaded" answers, then a final text;
 * - `SCENARIO:plan`: the plan given in the options, through the structured
 *   output tool when the CLI offers one (`--json-schema`), else as a fenced
 *   JSON block in a text answer.
 *
 * Markers of a task win over `SCENARIO:plan` (a task's prompt quotes its
 * issue, which asks for the plan). Every answer reports `usage` with the
 * options' token counts, from which the CLI computes its cost.
 *
 * The wire format follows the Messages API documentation
 * (https://docs.anthropic.com/en/api/messages-streaming): with `"stream":
 * true` the answer is server-sent events `message_start`,
 * `content_block_start`, `ping`, `content_block_delta` (`text_delta` or
 * `input_json_delta`), `content_block_stop`, `message_delta` (stop reason
 * and output tokens) and `message_stop`; errors are
 * `{"type":"error","error":{"type":...,"message":...}}` with the HTTP status
 * (https://docs.anthropic.com/en/api/errors).
 *
 * @module
 */

/** A content block the fake answers with. */
export type FakeBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; name: string; input: Record<string, unknown> };

/** One request the fake received. */
export interface FakeRequest {
  path: string;
  model: string;
  stream: boolean;
  /** The scenario the conversation was matched to (`none` when no marker). */
  scenario: string;
  /** Assistant turns already in the conversation when the request came. */
  turn: number;
  /** HTTP status of the answer. */
  status: number;
}

/** Options of {@linkcode startFakeMessagesApi}. */
export interface FakeMessagesApiOptions {
  /** The plan `SCENARIO:plan` answers with (a `{"tasks": [...]}` object). */
  plan?: unknown;
  /** Input tokens reported per answer (default 1,000). */
  inputTokens?: number;
  /** Output tokens reported per answer (default 50). */
  outputTokens?: number;
}

/** A running fake; `await using` closes it. */
export interface FakeMessagesApi extends AsyncDisposable {
  /** Base URL for `ANTHROPIC_BASE_URL`. */
  url: string;
  /** Requests received, in order. */
  requests: FakeRequest[];
  close(): Promise<void>;
}

interface MessagesRequest {
  model?: string;
  stream?: boolean;
  system?: unknown;
  messages?: { role: string; content: unknown }[];
  tools?: { name?: string }[];
}

const MARKER = /SCENARIO:([a-z]+)/g;

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((b) =>
    typeof b === "object" && b !== null && typeof (b as { text?: unknown }).text === "string"
      ? (b as { text: string }).text
      : ""
  ).join("\n");
}

/** The scenario of a conversation: the first task marker, else `plan`, else `none`. */
function scenarioOf(first: string): { name: string; text: string } {
  const names = [...first.matchAll(MARKER)].map((m) => m[1]!);
  const name = names.find((n) => n !== "plan") ?? (names.includes("plan") ? "plan" : "none");
  return { name, text: first };
}

function between(text: string, tag: string): string | undefined {
  const m = new RegExp(`${tag}<<(.*?)>>`).exec(text);
  return m ? m[1] : undefined;
}

/** The working directory the CLI names in its system prompt. */
function workingDirectory(body: MessagesRequest): string {
  const all = JSON.stringify(body.system ?? "") + JSON.stringify(body.messages ?? []);
  const m = /Primary working directory: ([^\\"\n]+)/.exec(all);
  return m ? m[1]!.trim() : ".";
}

let toolIds = 0;

/** What the scenario says at this turn: blocks, or an HTTP error. */
function answer(
  body: MessagesRequest,
  scenario: { name: string; text: string },
  turn: number,
  options: FakeMessagesApiOptions,
  attempts: Map<string, number>,
): { blocks: FakeBlock[] } | { status: number; type: string; message: string } {
  const cwd = workingDirectory(body);
  switch (scenario.name) {
    case "write": {
      const file = between(scenario.text, "FILE") ?? "out.txt";
      if (turn === 0) {
        return {
          blocks: [{
            type: "tool_use",
            name: "Write",
            input: { file_path: `${cwd}/${file}`, content: "hi\n" },
          }],
        };
      }
      return { blocks: [{ type: "text", text: `Done: wrote ${file}.` }] };
    }
    case "bash": {
      const command = between(scenario.text, "CMD") ?? "true";
      if (turn === 0) {
        return {
          blocks: [{
            type: "tool_use",
            name: "Bash",
            input: { command, description: "Run the project's check" },
          }],
        };
      }
      return { blocks: [{ type: "text", text: `Done: ran ${command}.` }] };
    }
    case "subagent": {
      if (turn === 0) {
        return {
          blocks: [{
            type: "tool_use",
            name: "Agent",
            input: {
              description: "Write the file",
              prompt: "SCENARIO:write Please write hi to out.txt",
              subagent_type: "general-purpose",
            },
          }],
        };
      }
      return {
        blocks: [{
          type: "text",
          text: turn === 1 ? "Done: the subagent wrote out.txt." : "Noted: the subagent finished.",
        }],
      };
    }
    case "loop":
      return {
        blocks: [{
          type: "tool_use",
          name: "Write",
          input: { file_path: `${cwd}/step${turn + 1}.txt`, content: `step ${turn + 1}\n` },
        }],
      };
    case "apierror":
      return {
        status: 400,
        type: "invalid_request_error",
        message: "fake-api: scripted invalid request",
      };
    case "flaky": {
      const key = scenario.text;
      const n = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, n);
      if (n <= 2) return { status: 529, type: "overloaded_error", message: "Overloaded" };
      return { blocks: [{ type: "text", text: "Done after a retry." }] };
    }
    case "plan": {
      const plan = options.plan ?? { tasks: [] };
      const tool = body.tools?.find((t) => t.name === "StructuredOutput");
      if (tool && turn === 0) {
        return {
          blocks: [{ type: "tool_use", name: "StructuredOutput", input: plan as never }],
        };
      }
      if (tool) return { blocks: [{ type: "text", text: "The plan is above." }] };
      return {
        blocks: [{
          type: "text",
          text: "Here is the plan:\n\n```json\n" + JSON.stringify(plan, null, 2) + "\n```\n",
        }],
      };
    }
    default:
      return { blocks: [{ type: "text", text: "OK." }] };
  }
}

function sse(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data as object })}\n\n`;
}

/**
 * Starts the fake on 127.0.0.1 (a free port).
 *
 * @example
 * ```ts
 * await using api = await startFakeMessagesApi({ plan: { tasks: [] } });
 * const env = { ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: "sk-fake" };
 * ```
 */
export function startFakeMessagesApi(
  options: FakeMessagesApiOptions = {},
): Promise<FakeMessagesApi> {
  const requests: FakeRequest[] = [];
  const attempts = new Map<string, number>();
  let ids = 0;
  const inputTokens = options.inputTokens ?? 1_000;
  const outputTokens = options.outputTokens ?? 50;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      if (req.method !== "POST" || !url.pathname.startsWith("/v1/messages")) {
        return Response.json(
          { type: "error", error: { type: "not_found_error", message: "Not found." } },
          { status: 404 },
        );
      }
      const body = await req.json().catch(() => ({})) as MessagesRequest;
      if (url.pathname.endsWith("/count_tokens")) {
        return Response.json({ input_tokens: inputTokens });
      }
      const messages = body.messages ?? [];
      const scenario = scenarioOf(textOf(messages.find((m) => m.role === "user")?.content));
      const turn = messages.filter((m) => m.role === "assistant").length;
      const model = body.model ?? "claude-fake";
      const stream = body.stream === true;
      const said = answer(body, scenario, turn, options, attempts);
      const record = (status: number) =>
        requests.push({ path: url.pathname, model, stream, scenario: scenario.name, turn, status });
      if ("status" in said) {
        record(said.status);
        return Response.json(
          { type: "error", error: { type: said.type, message: said.message } },
          { status: said.status, headers: { "request-id": `req_fake${++ids}` } },
        );
      }
      record(200);
      const id = `msg_fake${++ids}`;
      const blocks = said.blocks.map((b) =>
        b.type === "tool_use" ? { ...b, id: `toolu_fake${++toolIds}` } : b
      );
      const stopReason = blocks.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn";
      const usage = {
        input_tokens: inputTokens,
        output_tokens: outputTokens,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      };
      const headers = { "request-id": `req_fake${ids}` };
      if (!stream) {
        return Response.json({
          id,
          type: "message",
          role: "assistant",
          model,
          content: blocks,
          stop_reason: stopReason,
          stop_sequence: null,
          usage,
        }, { headers });
      }
      let text = sse("message_start", {
        message: {
          id,
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: 1 },
        },
      });
      blocks.forEach((b, index) => {
        if (b.type === "text") {
          text += sse("content_block_start", { index, content_block: { type: "text", text: "" } });
          text += sse("ping", {});
          text += sse("content_block_delta", {
            index,
            delta: { type: "text_delta", text: b.text },
          });
        } else {
          text += sse("content_block_start", {
            index,
            content_block: { type: "tool_use", id: b.id, name: b.name, input: {} },
          });
          const json = JSON.stringify(b.input);
          const half = Math.floor(json.length / 2);
          for (const part of [json.slice(0, half), json.slice(half)]) {
            text += sse("content_block_delta", {
              index,
              delta: { type: "input_json_delta", partial_json: part },
            });
          }
        }
        text += sse("content_block_stop", { index });
      });
      text += sse("message_delta", {
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: { output_tokens: outputTokens },
      });
      text += sse("message_stop", {});
      return new Response(text, {
        headers: { ...headers, "content-type": "text/event-stream", "cache-control": "no-cache" },
      });
    },
  );
  const addr = server.addr as Deno.NetAddr;
  const close = async () => {
    await server.shutdown().catch(() => {});
  };
  return Promise.resolve({
    url: `http://127.0.0.1:${addr.port}`,
    requests,
    close,
    [Symbol.asyncDispose]: close,
  });
}
