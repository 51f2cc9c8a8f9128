/**
 * Opaque page tokens for every paged method.
 *
 * A token carries a keyset position (for memories: the sort time and id of
 * the last memory on the page) plus a fingerprint of the query it belongs
 * to, so a token replayed with another method, user, order, filter or
 * search text is refused instead of silently paging through a different
 * listing (AIP-158). The position only ever places a query that is already
 * scoped to what the caller may read, so a forged token cannot reveal
 * anything; it is not signed.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import type { Cursor, UserStatsCursor } from "./storage/store.js";

const VERSION = 2;

/**
 * Longer than any token this service issues (a user id of 256 bytes and a
 * memory id of 128 in a listing across users, as escaped JSON in base64);
 * validation refuses longer ones before they are decoded.
 */
export const MAX_PAGE_TOKEN_LENGTH = 2048;

/** How a kind of position is written into a token and read back. */
export interface TokenPosition<T> {
  readonly encode: (position: T) => unknown[];
  readonly schema: z.ZodType<T>;
}

const time = z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER);

/** Memories: (time, memory id), and the user id in listings across users. */
export const MEMORY_POSITION: TokenPosition<Cursor> = {
  encode: (cursor) => (cursor.userId === undefined ? [cursor.time, cursor.memoryId] : [cursor.time, cursor.memoryId, cursor.userId]),
  schema: z
    .union([z.tuple([time, z.string().min(1).max(128)]), z.tuple([time, z.string().min(1).max(128), z.string().min(1).max(256)])])
    .transform(([t, memoryId, userId]) => (userId === undefined ? { time: t, memoryId } : { time: t, memoryId, userId })),
};

/** Topics: the last topic. */
export const TOPIC_POSITION: TokenPosition<string> = {
  encode: (topic) => [topic],
  schema: z.tuple([z.string().min(1).max(128)]).transform(([topic]) => topic),
};

/** Users by statistics: (latest update time, user id). */
export const USER_STATS_POSITION: TokenPosition<UserStatsCursor> = {
  encode: (cursor) => [cursor.time, cursor.userId],
  schema: z.tuple([time, z.string().min(1).max(256)]).transform(([t, userId]) => ({ time: t, userId })),
};

/**
 * What a token is bound to: the method and every parameter that selects or
 * orders its results, as JSON (arrays and objects in a fixed key order).
 */
export type TokenScope = readonly unknown[];

function fingerprint(scope: TokenScope): string {
  return createHash("sha256").update(JSON.stringify(scope)).digest("base64url").slice(0, 16);
}

export function encodePageToken<T>(kind: TokenPosition<T>, position: T, scope: TokenScope): string {
  const payload = [VERSION, fingerprint(scope), ...kind.encode(position)];
  return Buffer.from(JSON.stringify(payload)).toString("base64url");
}

export class InvalidPageTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidPageTokenError";
  }
}

const envelope = z.tuple([z.literal(VERSION), z.string().max(32)]).rest(z.unknown());

/** Returns the position in `token`, or throws `InvalidPageTokenError`. */
export function decodePageToken<T>(kind: TokenPosition<T>, token: string, scope: TokenScope): T {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw new InvalidPageTokenError("is not a page token issued by this service");
  }
  const parsed = envelope.safeParse(payload);
  const position = parsed.success ? kind.schema.safeParse(parsed.data.slice(2)) : undefined;
  if (!parsed.success || !position?.success) throw new InvalidPageTokenError("is not a page token issued by this service");
  if (parsed.data[1] !== fingerprint(scope)) {
    throw new InvalidPageTokenError("was issued for a different method, user, order, filter or query");
  }
  return position.data;
}
