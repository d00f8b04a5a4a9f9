/**
 * The page's entry point (bundled for the browser by
 * `scripts/build_dashboard.ts`): reads the configuration block and starts.
 *
 * @module
 */
import { CONFIG_ELEMENT_ID, type PageConfig } from "../page_config.ts";
import { DashboardApp } from "./app.ts";

const block = document.getElementById(CONFIG_ELEMENT_ID);
const config = JSON.parse(block?.textContent ?? "{}") as PageConfig;
new DashboardApp(config).start();
