import { ReplaceUserMemoryRequest } from "../../gen/ts/memoryd/v1/memory_service.js";
import { microsFromDate, nowMicros } from "../storage/clock.js";
import { contentOf } from "../storage/records.js";
import type { MemoryRecord, MemoryReplacement } from "../storage/store.js";
import { ValidationError, validate } from "../validation.js";
import type { AgnoRow } from "./agno-format.js";

/** The user Agno itself files a memory under when given none (MemoryManager and Agno 1's Memory alike). */
const AGNO_DEFAULT_USER = "default";

/**
 * The memoryd record for memory `id` of an Agno row, whichever Agno wrote
 * it, validated exactly like an API write (a ReplaceUserMemory that may
 * create), so an import cannot store what the API would refuse; throws with
 * the reason when the row cannot be imported.
 *
 * Times: Agno's creation time, or its update time where it kept none (Agno
 * 3's MongoDb on the MemoryManager path), or now; the update time is never
 * before the creation time.
 */
export function toRecord(id: unknown, row: AgnoRow): MemoryRecord {
  const request = ReplaceUserMemoryRequest.fromPartial({ userMemory: { etag: "" }, allowMissing: true });
  // Not through fromPartial: it would turn a non-string into a default, which validation must see and refuse.
  Object.assign(request.userMemory!, {
    userId: row.userId ?? AGNO_DEFAULT_USER,
    memoryId: id,
    memory: row.memory,
    topics: row.topics ?? [],
    input: row.input ?? undefined,
    agentId: row.agentId ?? "", // proto3 strings: empty is none
    teamId: row.teamId ?? "",
    feedback: row.feedback ?? undefined,
  });
  let checked: MemoryReplacement;
  try {
    checked = validate.replace(request);
  } catch (err) {
    if (err instanceof ValidationError) throw new Error(err.message);
    throw err;
  }
  const created = row.createdAt ?? row.updatedAt;
  const createTime = created ? microsFromDate(created) : nowMicros();
  const updateTime = Math.max(createTime, row.updatedAt ? microsFromDate(row.updatedAt) : createTime);
  return { userId: checked.userId, memoryId: checked.memoryId, ...contentOf(checked), createTime, updateTime, etag: "" };
}
