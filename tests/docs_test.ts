/**
 * What a user or contributor reads lives in the repository: the README and
 * the documents it links to point at files that exist here (and at headings
 * those files have), never into a folder outside the repository such as the
 * design notes the project started from (`../shared/`).
 */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const DOCUMENTS = [
  "README.md",
  "bench/README.md",
  ...[...Deno.readDirSync(join(ROOT, "docs"))]
    .filter((e) => e.isFile && e.name.endsWith(".md"))
    .map((e) => `docs/${e.name}`),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

function anchorsIn(markdown: string): Set<string> {
  const outsideCode = markdown.replace(/^```[\s\S]*?^```/gm, "");
  return new Set([...outsideCode.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => anchorOf(m[1]!)));
}

/** Links `[text](target)` and images `![alt](target)` outside code blocks and spans. */
function linksIn(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
}

Deno.test("README and docs link only to files and headings in the repository, never outside it", () => {
  const problems: string[] = [];
  for (const doc of DOCUMENTS) {
    const text = Deno.readTextFileSync(join(ROOT, doc));
    for (const [line, n] of text.split("\n").map((l, i) => [l, i + 1] as const)) {
      if (/(^|[^\w.])\.\.\/shared\/|\/work\/shared\b/.test(line)) {
        problems.push(`${doc}:${n} points into a folder outside the repository: ${line.trim()}`);
      }
    }
    for (const link of linksIn(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:, ...
      const [path, anchor] = link.split("#", 2) as [string, string | undefined];
      const target = path === "" ? doc : normalize(join(dirname(doc), decodeURI(path)));
      if (relative(ROOT, join(ROOT, target)).startsWith("..")) {
        problems.push(`${doc}: "${link}" leaves the repository`);
        continue;
      }
      let stat: Deno.FileInfo;
      try {
        stat = Deno.statSync(join(ROOT, target));
      } catch {
        problems.push(`${doc}: "${link}" names ${target}, which does not exist`);
        continue;
      }
      if (anchor && stat.isFile && target.endsWith(".md")) {
        const anchors = anchorsIn(Deno.readTextFileSync(join(ROOT, target)));
        if (!anchors.has(anchor)) problems.push(`${doc}: "${link}" names no heading of ${target}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
