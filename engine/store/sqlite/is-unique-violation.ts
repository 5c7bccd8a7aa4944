/** Whether a better-sqlite3 error is a UNIQUE/PRIMARY KEY constraint failure. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && 'code' in error &&
    (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
}
