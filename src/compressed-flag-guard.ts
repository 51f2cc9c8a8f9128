/**
 * Refuses a gRPC message whose compressed flag is set on a call without a
 * message encoding.
 *
 * Each gRPC message starts with a flag byte: 0 for plain bytes, 1 for bytes
 * compressed with the call's `grpc-encoding`. A flag of 1 on a call that
 * declares no encoding (or "identity") is a protocol error, but grpc-js
 * 1.14 passes the bytes to the deserializer as if they were plain. Another
 * implementation in front of memoryd (a proxy, a gateway) may read them
 * differently, so the server must not guess.
 *
 * Neither the deserializer nor interceptors see the flag: grpc-js strips it
 * in `BaseServerInterceptingCall.prototype.decompressMessage(message,
 * encoding)`, a private method that receives the whole framed message and
 * the encoding it will use. This module wraps that one method, and only when
 * it is there with that shape; `installCompressedFlagGuard` reports whether
 * it could, the server logs a warning when not, and
 * src/compressed-flag-guard.spec.ts fails if a grpc-js upgrade moved it.
 *
 * @module
 */
import { createRequire } from "node:module";
import { status } from "@grpc/grpc-js";
import { MalformedMessageError } from "./malformed-message-error.js";
import { toStatusError } from "./status.js";

type Decompress = (this: unknown, message: Buffer, encoding: string) => Buffer | Promise<Buffer>;

const GUARDED = Symbol.for("memoryd.compressedFlagGuard");

/** grpc-js's call class prototype, if it still has the method this module wraps. */
function decompressingPrototype(): Record<PropertyKey, unknown> | undefined {
  try {
    const require = createRequire(import.meta.url);
    // The module the installed grpc-js's Server itself loads, so the same class.
    const interceptors = require("@grpc/grpc-js/build/src/server-interceptors.js") as {
      BaseServerInterceptingCall?: { prototype?: Record<PropertyKey, unknown> };
    };
    const prototype = interceptors.BaseServerInterceptingCall?.prototype;
    const method = prototype?.decompressMessage;
    return typeof method === "function" && method.length === 2 ? prototype : undefined;
  } catch {
    return undefined;
  }
}

/** The status a call gets for a compressed flag without an encoding: as for any malformed message. */
function compressedWithoutEncoding(flag: number) {
  const cause = new Error(`the message's compressed flag is ${flag} but the call declares no grpc-encoding`);
  return toStatusError(new MalformedMessageError({ cause }))!;
}

/** The status a call gets for a message that does not decompress with its grpc-encoding. */
function undecompressable(encoding: string) {
  const cause = new Error(`the message is flagged compressed but does not decompress with grpc-encoding ${encoding}`);
  return toStatusError(new MalformedMessageError({ cause }))!;
}

/**
 * Makes every grpc-js server in this process refuse a message whose flag
 * byte is not 0 when the call has no encoding, with INVALID_ARGUMENT and
 * ErrorInfo MALFORMED_MESSAGE. Idempotent. Returns false, changing nothing,
 * when this grpc-js lacks the method the guard wraps.
 */
export function installCompressedFlagGuard(): boolean {
  const prototype = decompressingPrototype();
  if (!prototype) return false;
  if (prototype[GUARDED]) return true;
  const decompress = prototype.decompressMessage as Decompress;
  const guarded: Decompress = function (this: unknown, message, encoding) {
    // grpc-js passes "identity" when the flag is not 1 or the call has no grpc-encoding: a flag other than 0 is then malformed.
    if (encoding === "identity" && message[0] !== 0) return Promise.reject(compressedWithoutEncoding(message[0]!));
    const result = decompress.call(this, message, encoding);
    // grpc-js answers bytes that do not inflate with INTERNAL; they are the caller's fault, like any malformed message.
    if (!(result instanceof Promise)) return result;
    return result.catch((err: { code?: number }) => Promise.reject(err?.code === status.INTERNAL ? undecompressable(encoding) : err));
  };
  prototype.decompressMessage = guarded;
  prototype[GUARDED] = true;
  return true;
}
