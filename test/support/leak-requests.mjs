// @ts-check
/**
 * A deliberately leaking build of memoryd, made from outside: preloaded
 * into the server (`node --import test/support/leak-requests.mjs
 * dist/src/main.js ...`), it wraps every handler grpc-js is given so that
 * each call's request message is kept in a global array forever — the
 * classic "cache" that nobody evicts. test/reliability/soak-leak.test.ts
 * checks that the soak's leak gate fails on it; nothing else uses it.
 */
import grpc from "@grpc/grpc-js";

/** @type {unknown[]} */
const retained = [];
Object.assign(globalThis, { __memorydLeakedRequests: retained });

const addService = grpc.Server.prototype.addService;
/** @type {typeof addService} */
grpc.Server.prototype.addService = function (service, implementation) {
  /** @type {Record<string, Function>} */
  const leaking = {};
  for (const [name, handler] of Object.entries(implementation)) {
    leaking[name] = function (/** @type {any} */ call, /** @type {unknown[]} */ ...rest) {
      retained.push(call.request);
      return /** @type {Function} */ (handler).apply(this, [call, ...rest]);
    };
  }
  return addService.call(this, service, /** @type {any} */ (leaking));
};
