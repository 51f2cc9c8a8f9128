/**
 * Opaque page tokens for ListUserMemories and SearchUserMemories.
 *
 * A token carries the keyset cursor (sort time and id of the last memory
 * on the page) plus a fingerprint of the query it belongs to, so a token
 * replayed with another method, user, order, filter or search text is
 * refused instead of silently paging through a different listing
 * (AIP-158). The cursor only ever positions a query that is already scoped
 * to the caller's user, so a forged token cannot reveal anything; it is not
 * signed.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import type { Cursor, SortDirection } from "./storage/store.js";

/** What a token is bound to: the method and every parameter that selects or orders its results. */
export interface ListingScope {
  readonly method: "list" | "search";
  readonly userId: string;
  readonly direction: SortDirection;
  readonly anyTopics: readonly string[];
  /** Search text; empty for listings. */
  readonly text: string;
}

const VERSION = 1;

/**
 * Longer than any token this service issues (memory ids are at most 128
 * bytes); validation refuses longer ones before they are decoded.
 */
export const MAX_PAGE_TOKEN_LENGTH = 512;

const tokenSchema = z.tuple([
  z.literal(VERSION),
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  z.string().min(1).max(128),
  z.string().max(32),
]);

function fingerprint(scope: ListingScope): string {
  const text = JSON.stringify([scope.method, scope.userId, scope.direction, scope.anyTopics, scope.text]);
  return createHash("sha256").update(text).digest("base64url").slice(0, 16);
}

export function encodePageToken(cursor: Cursor, scope: ListingScope): string {
  const payload = [VERSION, cursor.time, cursor.memoryId, fingerprint(scope)];
  return Buffer.from(JSON.stringify(payload)).toString("base64url");
}

export class InvalidPageTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidPageTokenError";
  }
}

/** Returns the cursor in `token`, or throws `InvalidPageTokenError`. */
export function decodePageToken(token: string, scope: ListingScope): Cursor {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw new InvalidPageTokenError("is not a page token issued by this service");
  }
  const parsed = tokenSchema.safeParse(payload);
  if (!parsed.success) throw new InvalidPageTokenError("is not a page token issued by this service");
  const [, time, memoryId, tokenFingerprint] = parsed.data;
  if (tokenFingerprint !== fingerprint(scope)) {
    throw new InvalidPageTokenError("was issued for a different method, user_id, order, topics or query");
  }
  return { time, memoryId };
}
