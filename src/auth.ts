/**
 * Bearer-token authentication and per-user authorization.
 *
 * A token file lists who may call MemoryService and for which users: each
 * token has a name (for logs) and a scope — every user, a fixed list of
 * user ids, and/or user-id prefixes (one tenant per prefix) — and may be
 * an operator's, which may also set memories' times (imports and
 * restores through BatchUpsertUserMemories). A caller
 * presents `authorization: Bearer <token>`; the service checks the scope
 * against every user id a request names before it touches storage, so a
 * tenant can neither read nor learn about another tenant's memories
 * (PERMISSION_DENIED comes before NOT_FOUND). Health and reflection need
 * no token.
 *
 * Tokens may be stored as their SHA-256 (`sha256`, hex) so that the file
 * does not hold usable secrets. Presented tokens are hashed and compared
 * against every entry in constant time.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Metadata } from "@grpc/grpc-js";
import { z } from "zod";
import { canonicalIdentifier } from "./identifiers.js";

/** Who is calling, and which users' memories it may touch. */
export interface Principal {
  /** The token's name, for logs; never the token. */
  readonly name: string;
  /** Throws `PermissionDeniedError` unless every user id is in scope. */
  authorize(userIds: Iterable<string>): void;
  /** Throws `PermissionDeniedError` unless the scope is every user. */
  authorizeAllUsers(): void;
  /** Throws `OperatorScopeRequiredError` unless the token is an operator's. */
  authorizeOperator(): void;
}

/** No credentials, or credentials no token matches. */
export class UnauthenticatedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnauthenticatedError";
  }
}

/** Authenticated, but the request names a user outside the token's scope. */
export class PermissionDeniedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PermissionDeniedError";
  }
}

/** Authenticated, but the call needs an operator's token. */
export class OperatorScopeRequiredError extends PermissionDeniedError {
  constructor(message: string) {
    super(message);
    this.name = "OperatorScopeRequiredError";
  }
}

/** The principal when authentication is off: everything is allowed. */
export const UNRESTRICTED: Principal = {
  name: "anonymous",
  authorize: () => {},
  authorizeAllUsers: () => {},
  authorizeOperator: () => {},
};

const MIN_TOKEN_LENGTH = 16;

const sha256 = (text: string) => createHash("sha256").update(text).digest();

const tokenEntry = z
  .object({
    name: z.string().min(1),
    token: z.string().min(MIN_TOKEN_LENGTH, `tokens must have at least ${MIN_TOKEN_LENGTH} characters`).optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/i, "must be 64 hex digits")
      .optional(),
    all_users: z.boolean().optional(),
    users: z.array(z.string().min(1)).optional(),
    user_prefixes: z.array(z.string().min(1)).optional(),
    operator: z.boolean().optional(),
  })
  .strict()
  .refine((e) => (e.token === undefined) !== (e.sha256 === undefined), "needs exactly one of token and sha256")
  .refine(
    (e) => (e.all_users === true) !== Boolean(e.users?.length || e.user_prefixes?.length),
    "needs either all_users: true or users / user_prefixes",
  );

const digestOf = (entry: z.output<typeof tokenEntry>) => (entry.sha256 ? entry.sha256.toLowerCase() : sha256(entry.token!).toString("hex"));

const tokenFile = z
  .object({ tokens: z.array(tokenEntry).min(1) })
  .strict()
  .refine((f) => new Set(f.tokens.map((t) => t.name)).size === f.tokens.length, "token names must be unique")
  // The same token twice would make its scope depend on the order of entries.
  .refine((f) => new Set(f.tokens.map(digestOf)).size === f.tokens.length, "the same token appears twice");

export type TokenFile = z.input<typeof tokenFile>;

interface Grant {
  readonly digest: Buffer;
  readonly principal: Principal;
}

function scopedPrincipal(entry: z.output<typeof tokenEntry>): Principal {
  const name = entry.name;
  const authorizeOperator = entry.operator
    ? () => {}
    : () => {
        throw new OperatorScopeRequiredError(`token "${name}" is not an operator's: only operators may set memories' times`);
      };
  if (entry.all_users) return { name, authorize: () => {}, authorizeAllUsers: () => {}, authorizeOperator };
  // Request user ids arrive in NFC (validation.ts); scopes must compare in the same form.
  const users = new Set((entry.users ?? []).map(canonicalIdentifier));
  const prefixes = (entry.user_prefixes ?? []).map(canonicalIdentifier);
  return {
    name,
    authorize(userIds) {
      for (const userId of userIds) {
        if (!users.has(userId) && !prefixes.some((prefix) => userId.startsWith(prefix))) {
          throw new PermissionDeniedError(`token "${name}" may not access the memories of user "${userId}"`);
        }
      }
    },
    authorizeAllUsers() {
      throw new PermissionDeniedError(`token "${name}" may not act on all users`);
    },
    authorizeOperator,
  };
}

export class TokenAuthenticator {
  readonly #grants: readonly Grant[];

  private constructor(grants: readonly Grant[]) {
    this.#grants = grants;
  }

  /** Reads and checks a token file; throws with every problem in it. */
  static load(path: string): TokenAuthenticator {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, "utf8"));
    } catch (err) {
      // Not the parser's message: it quotes the text around the error, which may be a token.
      const reason = err instanceof SyntaxError ? "not valid JSON" : ((err as NodeJS.ErrnoException).code ?? "unreadable");
      throw new Error(`token file ${path}: ${reason}`);
    }
    const parsed = tokenFile.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`).join("; ");
      throw new Error(`token file ${path}: ${problems}`);
    }
    return new TokenAuthenticator(
      parsed.data.tokens.map((entry) => ({
        digest: entry.sha256 ? Buffer.from(entry.sha256, "hex") : sha256(entry.token!),
        principal: scopedPrincipal(entry),
      })),
    );
  }

  get size(): number {
    return this.#grants.length;
  }

  /** The principal behind the call's bearer token; throws `UnauthenticatedError`. */
  authenticate(metadata: Metadata): Principal {
    const [header] = metadata.get("authorization");
    const match = typeof header === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new UnauthenticatedError("missing credentials: send 'authorization: Bearer <token>'");
    const digest = sha256(match[1]!);
    let found: Principal | undefined;
    // Every entry is compared, matched or not, so timing reveals nothing about which one matched.
    for (const grant of this.#grants) {
      if (timingSafeEqual(digest, grant.digest)) found = grant.principal;
    }
    if (!found) throw new UnauthenticatedError("invalid bearer token");
    return found;
  }
}
