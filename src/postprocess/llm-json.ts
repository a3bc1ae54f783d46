/**
 * Reading JSON out of a model's answer. Models asked for "JSON only" still wrap it in code fences
 * or a sentence; the outermost `{...}` is taken. Null when there is none or it does not parse.
 */
export function jsonObjectIn(answer: string): Record<string, unknown> | null {
  const start = answer.indexOf('{');
  const end = answer.lastIndexOf('}');
  if (start < 0 || end <= start) return null;
  try {
    const value: unknown = JSON.parse(answer.slice(start, end + 1));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
