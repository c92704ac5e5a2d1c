/**
 * Whether `granted` covers every scope in `required`, a broader scope implying the narrower ones it
 * lists (transitively) — the MCP spec's "MUST account for scope hierarchies".
 */
export function coversScopes(granted: readonly string[], required: readonly string[], implied: Readonly<Record<string, readonly string[]>>): boolean {
  // Held as granted (the usual case): no expansion, nothing allocated.
  if (required.every((s) => granted.includes(s))) return true;
  const have = new Set(granted);
  const queue = [...granted];
  while (queue.length > 0) {
    const scope = queue.pop()!;
    for (const narrower of Object.hasOwn(implied, scope) ? implied[scope] : []) {
      if (!have.has(narrower)) {
        have.add(narrower);
        queue.push(narrower);
      }
    }
  }
  return required.every((s) => have.has(s));
}
