/**
 * Text from the log made safe to print on a terminal.
 *
 * Task titles, progress notes, node ids and reasons in `p2p-dev state` and
 * the live view come from comments, that is from other people. Printed raw,
 * an escape sequence in them could move the cursor, rewrite earlier lines,
 * set the window title, or plant a hyperlink (OSC 8) or a clipboard write
 * (OSC 52) in the user's terminal, and a bidirectional override could make a
 * line read differently from what it holds.
 *
 * @module
 */

/** Escape sequences: CSI (`ESC [ ... final`), OSC/DCS/APC/PM/SOS strings, and two-byte ones. */
const ESCAPE_RE =
  // deno-lint-ignore no-control-regex
  /\x1b\[[0-?]*[ -/]*[@-~]?|\x9b[0-?]*[ -/]*[@-~]?|[\x1b][\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|[\x90\x9d-\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[ -~]?/g;

/** Control characters (but tab and line feed), bidirectional controls and other invisible format characters. */
const CONTROL_RE =
  // deno-lint-ignore no-control-regex
  /[\x00-\x08\x0b-\x1f\x7f-\x9f\p{Bidi_Control}\p{Default_Ignorable_Code_Point}]/gu;

/**
 * Removes terminal escape sequences and control characters (keeping tabs and
 * line feeds), bidirectional controls and invisible characters.
 *
 * @example
 * ```ts
 * terminalSafe("Add \x1b]0;owned\x07the API\x1b[2J"); // "Add the API"
 * ```
 */
export function terminalSafe(text: string): string {
  return text.replace(ESCAPE_RE, "").replace(CONTROL_RE, "");
}

/**
 * {@linkcode terminalSafe} for one line: tabs and line breaks become spaces.
 *
 * @example
 * ```ts
 * terminalLine("two\nlines"); // "two lines"
 * ```
 */
export function terminalLine(text: string): string {
  return terminalSafe(text).replace(/[\t\n]/g, " ");
}
