/**
 * Admits a call before its request body is read: a server interceptor that
 * authenticates MemoryService calls on their headers and bounds the time
 * the request message may take to arrive.
 *
 * grpc-js reads a unary request to its end before any handler runs, so
 * checking the bearer token in the handler would let an unauthenticated
 * client make the server buffer up to the message size limit per stream
 * (256 streams × 4 MiB per connection, held as long as the client likes).
 * Here a call without valid credentials is answered UNAUTHENTICATED as
 * soon as its headers arrive; grpc-js then discards its body unread. A
 * call whose message is not complete within `requestReadTimeoutMs` is
 * ended, which frees what was buffered.
 *
 * @module
 */
import { type Metadata, ServerInterceptingCall, type ServerInterceptor, status } from "@grpc/grpc-js";
import { type Principal, UNRESTRICTED } from "./auth.js";
import { requestTimeout, toStatusError } from "./status.js";

export interface Authenticator {
  /** The principal behind the call's credentials; throws `UnauthenticatedError`. */
  authenticate(metadata: Metadata): Principal;
}

export interface AdmissionOptions {
  /** The current authenticator (it changes when the token file is reloaded); undefined: authentication is off. */
  readonly authenticator: () => Authenticator | undefined;
  /** Method paths under this prefix need credentials; health and reflection do not. */
  readonly protectedPrefix: string;
  /** How long a request message may take to arrive after the call's headers. */
  readonly requestReadTimeoutMs: number;
}

// Keyed by the request metadata object, which grpc-js hands unchanged from
// the interceptor to the handler.
const principals = new WeakMap<Metadata, Principal>();

/** The authenticated caller of the call whose request metadata this is. */
export function principalOf(metadata: Metadata): Principal {
  return principals.get(metadata) ?? UNRESTRICTED;
}

export function admission(options: AdmissionOptions): ServerInterceptor {
  return (method, call) => {
    const guarded = method.path.startsWith(options.protectedPrefix);
    let timer: NodeJS.Timeout | undefined;
    const stopTimer = () => clearTimeout(timer);
    const intercepted: ServerInterceptingCall = new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            if (guarded) {
              const authenticator = options.authenticator();
              if (authenticator) {
                try {
                  principals.set(metadata, authenticator.authenticate(metadata));
                } catch (err) {
                  // The handler never starts, so nothing reads the body.
                  intercepted.sendStatus(toStatusError(err) ?? { code: status.UNAUTHENTICATED, details: "unauthenticated" });
                  return;
                }
              }
            }
            timer = setTimeout(() => intercepted.sendStatus(requestTimeout(options.requestReadTimeoutMs)), options.requestReadTimeoutMs);
            nextMetadata(metadata);
          },
          onReceiveMessage(message, next) {
            stopTimer();
            next(message);
          },
          onReceiveHalfClose(next) {
            stopTimer();
            next();
          },
          onCancel() {
            stopTimer();
          },
        });
      },
      sendStatus(callStatus, next) {
        stopTimer();
        next(callStatus);
      },
    });
    return intercepted;
  };
}
