/**
 * The demo's bundled issue: a realistic small feature request whose task list
 * the Markdown planner turns into a graph with priorities and dependencies.
 * Kept as a module (not a file read at run time) so the bundle embeds it.
 *
 * @module
 */

/** Title of the example issue. */
export const EXAMPLE_ISSUE_TITLE = "Add full-text search to the notes API";

/**
 * Body of the example issue.
 *
 * @example
 * ```ts
 * EXAMPLE_ISSUE_BODY.includes("- [ ]"); // true
 * ```
 */
export const EXAMPLE_ISSUE_BODY =
  `Users keep asking for a way to find old notes. We want a \`GET /notes/search?q=\`
endpoint backed by SQLite FTS5, with highlighting, pagination and a small UI.

Acceptance: searching 10k notes answers in under 100 ms on a laptop; results are
ranked; deleted notes never show up.

## Storage

- [ ] S1: Add an FTS5 virtual table mirroring notes (priority: critical, est: 2h)
- [ ] S2: Keep the index in sync with triggers on insert, update and delete (priority: high, after: S1, est: 3h)
- [ ] S3: Backfill the index for existing notes in a migration (priority: medium, after: S1, est: 1h)

## API

- [ ] A1: Implement GET /notes/search with ranking by bm25 (priority: high, after: S2, est: 3h)
- [ ] A2: Add snippet highlighting to results (priority: medium, after: A1, est: 2h)
- [ ] A3: Paginate results with an opaque cursor (priority: medium, after: A1, est: 2h)
- [ ] A4: Validate and sanitise the query syntax (priority: high, after: A1, est: 1h)

## UI and docs

- [ ] U1: Add a search box with debounced requests to the web app (priority: medium, after: A1, est: 3h)
- [ ] U2: Render highlighted snippets and a "load more" button (priority: low, after: U1, A2, A3, est: 2h)
- [ ] D1: Document the endpoint in the API reference (priority: low, after: A3, A4, est: 1h)

## Quality

- [ ] Q1: Benchmark 10k notes and record the p95 latency (priority: medium, after: S3, A1, est: 2h)
`;
