/** Escapes text for HTML element content and attribute values (double- or single-quoted). */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** JSON safe to place inside <script type="application/json">: no `</script>`, no `<!--`, no line separators. */
export function jsonForScript(data: unknown): string {
  return JSON.stringify(data)
    .replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A relative link target is kept only when it cannot run script (no `javascript:` and the like). */
export function safeHref(href: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(href) ? '#' : href.split('/').map(encodeURIComponent).join('/');
}
