import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";
import { type StatusObject, status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { grpcFrame } from "../test/helpers/wire.js";
import { statusDetails } from "../testkit/client.js";
import { installCompressedFlagGuard } from "./compressed-flag-guard.js";

type Decompress = (this: object, message: Buffer, encoding: string) => Buffer | Promise<Buffer>;

describe("compressed flag guard", () => {
  it("finds grpc-js's decompressMessage and wraps it (if this fails, a grpc-js upgrade moved it: the guard is off)", () => {
    expect(installCompressedFlagGuard()).toBe(true);
    expect(installCompressedFlagGuard()).toBe(true); // idempotent
    const { BaseServerInterceptingCall } = createRequire(import.meta.url)("@grpc/grpc-js/build/src/server-interceptors.js");
    expect(BaseServerInterceptingCall.prototype[Symbol.for("memoryd.compressedFlagGuard")]).toBe(true);
  });

  // The wrapped method, called as grpc-js calls it (the end-to-end tests send real frames).
  const decompress = async (frame: Buffer, encoding: string) => {
    installCompressedFlagGuard();
    const { BaseServerInterceptingCall } = createRequire(import.meta.url)("@grpc/grpc-js/build/src/server-interceptors.js");
    const method = BaseServerInterceptingCall.prototype.decompressMessage as Decompress;
    return method.call({ maxReceiveMessageSize: -1 }, frame, encoding);
  };
  const message = Buffer.from("hello");

  it("refuses a non-zero flag without an encoding as a malformed message", async () => {
    for (const flag of [1, 2, 0xff]) {
      const refusal = (await decompress(grpcFrame(message, flag), "identity").catch((e: unknown) => e)) as StatusObject;
      expect(refusal.code).toBe(status.INVALID_ARGUMENT);
      expect(refusal.details).toContain(`compressed flag is ${flag}`);
      const details = statusDetails({ ...refusal, name: "", message: "" });
      expect(details.errorInfo).toMatchObject({ reason: "MALFORMED_MESSAGE", domain: "memoryd.dev" });
    }
  });

  it("refuses bytes that do not decompress with the declared encoding as a malformed message, not INTERNAL", async () => {
    const refusal = (await decompress(grpcFrame(Buffer.from("not gzip at all"), 1), "gzip").catch((e: unknown) => e)) as StatusObject;
    expect(refusal.code).toBe(status.INVALID_ARGUMENT);
    expect(statusDetails({ ...refusal, name: "", message: "" }).errorInfo?.reason).toBe("MALFORMED_MESSAGE");
  });

  it("leaves plain messages and declared encodings to grpc-js", async () => {
    expect(await decompress(grpcFrame(message, 0), "identity")).toEqual(message);
    expect(await decompress(grpcFrame(gzipSync(message), 1), "gzip")).toEqual(message);
  });
});
