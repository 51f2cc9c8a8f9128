/**
 * One structured log line and one metrics sample per call, from a grpc-js
 * server interceptor: it sees every call that reaches a handler on every
 * service, including health and reflection, and those grpc-js ends by
 * itself (see `onStatusFromBelow`).
 *
 * The request id comes from the `x-request-id` metadata (one is generated
 * when absent) and is echoed in the response headers; a W3C `traceparent`
 * puts the trace and parent span ids on the line, so logs join traces.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { type Metadata, ServerInterceptingCall, type ServerInterceptor, status } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { Metrics } from "./metrics.js";

/** Fields a handler adds to its call's log line. */
export interface CallAnnotations {
  /** The authenticated token's name. */
  principal?: string;
}

type CallFields = Record<string, unknown> & CallAnnotations;

// Keyed by the request metadata object, which grpc-js hands unchanged from
// the interceptor to the handler.
const callFields = new WeakMap<Metadata, CallFields>();

/** Adds fields to the log line of the call whose request metadata this is. */
export function annotateCall(metadata: Metadata, annotations: CallAnnotations): void {
  const fields = callFields.get(metadata);
  if (fields) Object.assign(fields, annotations);
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

function firstString(metadata: Metadata, key: string): string | undefined {
  const [value] = metadata.get(key);
  return typeof value === "string" ? value : undefined;
}

/** Codes that mean the server failed, not the caller. */
const SERVER_FAULTS = new Set([status.UNKNOWN, status.INTERNAL, status.DATA_LOSS]);

/**
 * grpc-js answers some calls itself, below every interceptor: a request
 * over the message size limit (RESOURCE_EXHAUSTED), its own deadline timer
 * (DEADLINE_EXCEEDED), a message it cannot decompress. Those statuses go
 * straight to the innermost call object's `sendStatus`, which the observer
 * (the innermost interceptor) is handed; listening there is the only way to
 * log them with the code the client saw. Without that method (a grpc-js
 * that changed), such calls are logged as cancelled.
 */
function onStatusFromBelow(call: object, listener: (code: status) => void): void {
  const sink = call as { sendStatus?: (status: { code: status }) => void };
  const original = sink.sendStatus;
  if (typeof original !== "function") return;
  sink.sendStatus = function (this: unknown, callStatus) {
    listener(callStatus.code);
    return original.call(this, callStatus);
  };
}

/**
 * Observes each call once, with the code the caller saw:
 * - a status memoryd sends is recorded as sent;
 * - a status grpc-js sends by itself (see `onStatusFromBelow`) as sent;
 * - a call the client cancelled is CANCELLED. While the handler runs,
 *   grpc-js drops its late status and only tells of the cancel. Before
 *   the request arrived, a cancelling client (grpc-js, Node's http2) ends
 *   its stream and then resets it, and grpc-js answers the end with
 *   UNIMPLEMENTED "no request message"; no conforming client sends a unary
 *   call without its message, so that answer is recorded as CANCELLED.
 */
export function callObserver(log: Logger, metrics?: Metrics): ServerInterceptor {
  return (method, call) => {
    const started = performance.now();
    // Health probes and reflection would drown the log at info.
    const infrastructure = method.path.startsWith("/grpc.");
    const fields: CallFields = { method: method.path };
    let messageReceived = false;
    let cancelled = false;
    let observed = false;
    const observe = (code: status) => {
      if (observed) return;
      observed = true;
      const durationMs = performance.now() - started;
      metrics?.observeCall(method.path, code, durationMs);
      const line = { ...fields, code: status[code], duration_ms: Math.round(durationMs * 1000) / 1000, peer: call.getPeer() };
      if (SERVER_FAULTS.has(code)) log.error(line, "call");
      else if (infrastructure) log.debug(line, "call");
      else log.info(line, "call");
    };
    /** The status grpc-js sent below the interceptors, if any. */
    let statusFromBelow: status | undefined;
    onStatusFromBelow(call, (code) => (statusFromBelow ??= code));
    return new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            fields.request_id = firstString(metadata, "x-request-id")?.slice(0, 128) || randomUUID();
            const trace = TRACEPARENT.exec(firstString(metadata, "traceparent") ?? "");
            if (trace) {
              fields.trace_id = trace[1];
              fields.parent_span_id = trace[2];
            }
            callFields.set(metadata, fields);
            nextMetadata(metadata);
          },
          onReceiveMessage(message, nextMessage) {
            messageReceived = true;
            nextMessage(message);
          },
          onCancel() {
            cancelled = true;
            // grpc-js tells of every call's end this way, also after a status was sent.
            observe(statusFromBelow ?? status.CANCELLED);
          },
        });
      },
      sendMetadata(metadata, next) {
        if (typeof fields.request_id === "string") metadata.set("x-request-id", fields.request_id);
        next(metadata);
      },
      sendStatus(callStatus, next) {
        const endedWithoutRequest = callStatus.code === status.UNIMPLEMENTED && !messageReceived && !method.requestStream;
        observe(cancelled || endedWithoutRequest ? status.CANCELLED : callStatus.code);
        next(callStatus);
      },
    });
  };
}
