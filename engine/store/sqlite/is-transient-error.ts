/** Whether a better-sqlite3 error is a passing condition (the write lock held too long), not a fault of the data. */
export function isTransientSqliteError(error: unknown): boolean {
  if (!(error instanceof Error) || !('code' in error) || typeof error.code !== 'string') return false;
  return error.code.startsWith('SQLITE_BUSY') || error.code.startsWith('SQLITE_LOCKED');
}
