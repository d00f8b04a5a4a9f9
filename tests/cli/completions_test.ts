/**
 * `p2p-dev completions bash|zsh|fish` (issue 15): generated from the command
 * tree, so every subcommand, option and choice completes.
 */
import assert from "node:assert/strict";
import type { Command } from "@commander-js/extra-typings";
import { buildApp } from "../../src/cli/app.ts";
import { runInProcess, testContext } from "./_ctx.ts";

async function script(shell: string): Promise<string> {
  const r = await runInProcess(["completions", shell]);
  assert.equal(r.code, 0, r.err.join("\n"));
  return r.out.join("\n") + "\n";
}

/** Completes `words` (the last one being typed) with the bash script; returns the candidates. */
async function complete(bashScript: string, words: string[]): Promise<string[]> {
  const file = await Deno.makeTempFile({ suffix: ".bash" });
  await Deno.writeTextFile(file, bashScript);
  try {
    const quoted = words.map((w) => `'${w}'`).join(" ");
    const out = await new Deno.Command("bash", {
      args: [
        "-c",
        `source "${file}"; COMP_WORDS=(${quoted}); COMP_CWORD=${
          words.length - 1
        }; _p2p_dev; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      stdin: "null",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean);
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("bash completion completes subcommands, each one's own options, and choices", async () => {
  const bash = await script("bash");
  assert.deepEqual(await complete(bash, ["p2p-dev", "st"]), ["status", "state"]);
  assert.deepEqual(await complete(bash, ["p2p-dev", "run", "--token-kind", ""]), [
    "actions",
    "pat",
    "app",
  ]);
  assert.deepEqual(await complete(bash, ["p2p-dev", "run", "--deliver", "b"]), ["branch"]);
  assert.deepEqual(await complete(bash, ["p2p-dev", "run", "--ex"]), ["--exec", "--executor"]);
  assert.deepEqual(await complete(bash, ["p2p-dev", "elect", "--ex"]), [], "elect has no --exec");
  assert.deepEqual(await complete(bash, ["p2p-dev", "completions", "f"]), ["fish"]);
});

Deno.test("every subcommand and option is in the bash, zsh and fish scripts", async () => {
  const program = buildApp(testContext());
  const scripts = {
    bash: await script("bash"),
    zsh: await script("zsh"),
    fish: await script("fish"),
  };
  for (const cmd of program.commands as Command[]) {
    for (const [shell, text] of Object.entries(scripts)) {
      assert.ok(text.includes(cmd.name()), `${shell}: ${cmd.name()}`);
      for (const o of cmd.options) {
        if (!o.long || o.hidden) continue;
        const form = shell === "fish" ? `-l ${o.long.slice(2)}` : o.long;
        assert.ok(text.includes(form), `${shell}: ${cmd.name()} ${o.long}`);
      }
    }
  }
  assert.match(scripts.zsh, /^#compdef p2p-dev$/m);
  assert.match(scripts.zsh, /'--token-kind\[[^\]]*\]:value:\(actions pat app\)'/);
  assert.match(scripts.fish, /-l token-kind -x -a 'actions pat app'/);
});

Deno.test("the zsh and fish scripts pass their shell's syntax check where the shell is installed", async () => {
  for (const shell of ["zsh", "fish"]) {
    const found = await new Deno.Command("sh", { args: ["-c", `command -v ${shell}`] }).output();
    if (!found.success) continue; // not installed here: the content test above still ran
    const file = await Deno.makeTempFile();
    await Deno.writeTextFile(file, await script(shell));
    const check = await new Deno.Command(shell, { args: ["-n", file] }).output();
    assert.equal(check.code, 0, `${shell}: ${new TextDecoder().decode(check.stderr)}`);
    if (shell === "fish") {
      const done = await new Deno.Command("fish", {
        args: ["-c", `source ${file}; complete -C "p2p-dev run --token-kind "`],
      }).output();
      const words = new TextDecoder().decode(done.stdout).split("\n").map((l) => l.split("\t")[0]);
      assert.deepEqual(words.filter(Boolean).sort(), ["actions", "app", "pat"]);
    }
    await Deno.remove(file);
  }
});

Deno.test("completions for an unknown shell is a usage error", async () => {
  const r = await runInProcess(["completions", "tcsh"]);
  assert.equal(r.code, 2);
  assert.match(r.err.join("\n"), /Unknown shell "tcsh": use bash, zsh or fish/);
  assert.equal((await runInProcess(["completions"])).code, 2);
});
