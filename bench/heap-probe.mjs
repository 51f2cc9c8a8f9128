// @ts-check
/**
 * Preloaded into the server by the soak (`node --expose-gc --import
 * bench/heap-probe.mjs dist/src/main.js ...`, with an IPC channel): on
 * `{ type: "heap-probe", id }` it runs full garbage collections and answers
 * `{ type: "heap-probe", id, ...process.memoryUsage(), ...v8.getHeapCodeStatistics() }`.
 * It lets the soak read what the server really retains without any hook in
 * src/.
 */
import { getHeapCodeStatistics } from "node:v8";

const gc = globalThis.gc;
if (typeof gc !== "function") throw new Error("bench/heap-probe.mjs needs node --expose-gc");
const send = process.send?.bind(process);
if (!send || !process.channel) throw new Error("bench/heap-probe.mjs needs an IPC channel (stdio 'ipc')");

process.on("message", async (/** @type {any} */ message) => {
  if (message?.type !== "heap-probe") return;
  // Full, synchronous mark-compact collections; a turn of the event loop in
  // between lets finalizers and weak-reference clean-ups run, so what they
  // free is gone by the last one.
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  send({ type: "heap-probe", id: message.id, ...process.memoryUsage(), ...getHeapCodeStatistics() });
});
// The channel must not keep the server alive (adding the listener ref'ed it).
process.channel.unref();
