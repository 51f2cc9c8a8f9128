/** Agno's time encodings as Dates; undefined for a missing or unreadable time (the importer then falls back, see toRecord). */

/** Epoch seconds (Agno 3 everywhere, Agno 1 on MongoDB); PostgreSQL's BIGINT arrives as a string. */
export function fromEpochSeconds(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  const seconds = typeof value === "string" && value !== "" ? Number(value) : value;
  return typeof seconds === "number" && Number.isFinite(seconds) ? new Date(seconds * 1000) : undefined;
}

/** SQLite's CURRENT_TIMESTAMP text ("2025-01-31 12:34:56", UTC), as Agno 1's SqliteMemoryDb writes it. */
export function fromSqliteTimestamp(value: unknown): Date | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const date = new Date(`${value.replace(" ", "T")}${/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? "" : "Z"}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
