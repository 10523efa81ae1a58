/** Compares by name, not instanceof, so it holds across bundles and duplicated SDK copies. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}
