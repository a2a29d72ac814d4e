/** ISO 8601 UTC without milliseconds, for problem dates. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
