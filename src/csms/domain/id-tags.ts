/** OCPP idTags are CiString20: case-insensitive. */

/** Whether two idTags are the same card, compared as SQLite's NOCASE does (ASCII letters only), like the store. */
export function sameIdTag(a: string, b: string | null): boolean {
  const fold = (t: string) => t.replace(/[a-z]/g, (c) => c.toUpperCase());
  return b !== null && fold(a) === fold(b);
}
