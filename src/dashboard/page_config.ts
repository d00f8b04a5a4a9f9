/**
 * The configuration the page reads from its own HTML (a JSON data block,
 * never executed): where the API is, which source to start with, and, for a
 * page written beside `metrics.json`, a copy of the data so it also works
 * from `file://`, where a page cannot fetch the files next to it.
 *
 * @module
 */
import type { Snapshot } from "./snapshot.ts";

/** The page's configuration. */
export interface PageConfig {
  /** API base URL the live source talks to (also the CSP's only other `connect-src`). */
  apiUrl: string;
  /** Base of web links. */
  htmlUrl: string;
  /** Served by `dashboard serve`: read the server's pushes, ask for no token. */
  served: boolean;
  /** Data written with the page (the aggregator's and the demo's output). */
  snapshot: Snapshot | null;
  /** Default workflow file for the Workflows tab. */
  workflow: string;
}

/** The id of the JSON block holding the configuration. */
export const CONFIG_ELEMENT_ID = "p2p-dev-config";
