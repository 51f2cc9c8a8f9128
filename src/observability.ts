/**
 * One structured log line and one metrics sample per call, from a grpc-js
 * server interceptor: it sees every call that reaches a handler on every
 * service, including health and reflection. (Requests grpc-js refuses
 * before that, such as oversized messages, never reach interceptors.)
 *
 * The request id comes from the `x-request-id` metadata (one is generated
 * when absent) and is echoed in the response headers; a W3C `traceparent`
 * puts the trace and parent span ids on the line, so logs join traces.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { type Metadata, type ServerInterceptor, ServerInterceptingCall, status } from "@grpc/grpc-js";
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

export function callObserver(log: Logger, metrics?: Metrics): ServerInterceptor {
  return (method, call) => {
    const started = performance.now();
    // Health probes and reflection would drown the log at info.
    const infrastructure = method.path.startsWith("/grpc.");
    const fields: CallFields = { method: method.path };
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
        });
      },
      sendMetadata(metadata, next) {
        if (typeof fields.request_id === "string") metadata.set("x-request-id", fields.request_id);
        next(metadata);
      },
      sendStatus(callStatus, next) {
        const durationMs = performance.now() - started;
        metrics?.observeCall(method.path, callStatus.code, durationMs);
        const line = {
          ...fields,
          code: status[callStatus.code],
          duration_ms: Math.round(durationMs * 1000) / 1000,
          peer: call.getPeer(),
        };
        if (SERVER_FAULTS.has(callStatus.code)) log.error(line, "call");
        else if (infrastructure) log.debug(line, "call");
        else log.info(line, "call");
        next(callStatus);
      },
    });
  };
}
