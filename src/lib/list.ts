/** How many items a refusal or summary line names before it counts the rest. */
export const LIST_MAX = 10;

/**
 * "a, b, c" for a few items; "a, b, ... (the first 10), and 497 more" past `max`, so one line stays readable
 * when a list runs to hundreds (a 507-root store). Callers give every item in --json.
 */
export function listSome(items: readonly string[], max = LIST_MAX): string {
  if (items.length <= max) return items.join(", ");
  return `${items.slice(0, max).join(", ")}, and ${items.length - max} more`;
}
