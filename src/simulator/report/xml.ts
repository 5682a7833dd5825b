/** Escaping for XML and HTML text and attribute values. */

// XML 1.0 §2.2: control characters other than tab, LF and CR are not allowed, even escaped.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Escapes `& < > " '` and drops characters XML cannot hold; safe in text and in quoted attributes. */
export function escapeXml(value: unknown): string {
  return String(value)
    .replace(INVALID_XML_CHARS, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** HTML flavour: `&#39;` instead of `&apos;` (not an HTML 4 entity). */
export function escapeHtml(value: unknown): string {
  return escapeXml(value).replace(/&apos;/g, '&#39;');
}
