/**
 * Hand-built protobuf encodings and raw gRPC over HTTP/2, for tests of what
 * the generated clients cannot send: malformed wire format, and messages
 * whose compressed flag does not match the call's encoding.
 */
import { connect } from "node:http2";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";

export type Part = number | readonly number[] | Uint8Array;

/** Concatenates byte arrays and single bytes. */
export function bytes(...parts: Part[]): Buffer {
  return Buffer.from(parts.flatMap((part) => (typeof part === "number" ? [part] : [...part])));
}

export const varint = (n: number): Uint8Array => new BinaryWriter().uint32(n).finish();
export const tag = (field: number, wireType: number): Uint8Array => varint(field * 8 + wireType);
export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A length-delimited field. */
export function ld(field: number, ...content: Part[]): Buffer {
  const value = bytes(...content);
  return bytes(tag(field, 2), varint(value.length), value);
}

/** `length` as a 5-byte varint with bit 32 set too: 2^32 + length, which a 32-bit reader wraps back to `length`. */
export function wrappedLength(length: number): number[] {
  if (length >= 2 ** 28) throw new RangeError("length too large to wrap in 5 bytes");
  return [0, 7, 14, 21].map((shift) => ((length >>> shift) & 0x7f) | 0x80).concat(0x10);
}

/** A varint of 11 bytes (value 0, padded): one more than any 64-bit varint may have. */
export const ELEVEN_BYTE_VARINT: readonly number[] = [...Array(10).fill(0x80), 0x00];

/** The tag of `field` + 2^29 with `wireType`: above 32 bits, so a 32-bit reader sees `field`. */
export function wrappedTag(field: number, wireType: number): number[] {
  const low = field * 8 + wireType;
  if (low >= 2 ** 28) throw new RangeError("field number too large");
  return wrappedLength(low);
}

/** A gRPC message frame: flag byte (1 = compressed), 4-byte length, message. */
export function grpcFrame(message: Uint8Array, flag = 0): Buffer {
  const header = Buffer.alloc(5);
  header[0] = flag;
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

export interface RawGrpcResult {
  readonly code: status;
  /** The call's outcome in the shape of a client error, for `statusDetails`. */
  readonly error: ServiceError;
  /** The response message, without its frame header, when the call succeeded. */
  readonly response?: Buffer;
}

/**
 * One unary call over a fresh HTTP/2 connection, with `body` sent as is
 * (see `grpcFrame`) and `headers` added to the gRPC ones.
 */
export function rawGrpc(address: string, path: string, body: Buffer, headers: Record<string, string> = {}): Promise<RawGrpcResult> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://${address}`);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...headers });
    const chunks: Buffer[] = [];
    let received: Record<string, unknown> = {};
    stream.on("response", (h) => (received = { ...received, ...h }));
    stream.on("trailers", (h) => (received = { ...received, ...h }));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    stream.on("close", () => {
      session.close();
      if (received["grpc-status"] === undefined) return reject(new Error(`no grpc-status in ${JSON.stringify(received)}`));
      const code = Number(received["grpc-status"]) as status;
      const details = decodeURIComponent(String(received["grpc-message"] ?? ""));
      const metadata = Metadata.fromHttp2Headers(received as Parameters<typeof Metadata.fromHttp2Headers>[0]);
      const error = Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata }) as ServiceError;
      const data = Buffer.concat(chunks);
      resolve(code === status.OK ? { code, error, response: data.subarray(5) } : { code, error });
    });
    stream.end(body);
  });
}
