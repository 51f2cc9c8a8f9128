/**
 * A promise-returning wrapper over the generated grpc-js client, and a
 * decoder for the google.rpc.Status details the server attaches to errors.
 */
import { type CallOptions, type ChannelCredentials, type ClientUnaryCall, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { BadRequest, ErrorInfo, ResourceInfo, RetryInfo } from "../gen/ts/google/rpc/error_details.js";
import { Status } from "../gen/ts/google/rpc/status.js";
import {
  BatchCreateUserMemoriesRequest,
  BatchDeleteUserMemoriesRequest,
  BatchUpsertUserMemoriesRequest,
  ClearUserMemoriesRequest,
  ConsolidateUserMemoriesRequest,
  CreateUserMemoryRequest,
  type DeepPartial,
  DeleteUserMemoryRequest,
  GetUserMemoryRequest,
  ListMemoryTopicsRequest,
  ListUserMemoriesRequest,
  ListUserStatsRequest,
  MemoryServiceClient,
  ReplaceUserMemoryRequest,
  SearchUserMemoriesRequest,
  UpdateUserMemoryRequest,
} from "../gen/ts/memoryd/v1/memory_service.js";
import type { UserMemory } from "../gen/ts/memoryd/v1/user_memory.js";

type Callback<Res> = (error: ServiceError | null, response: Res) => void;
type UnaryMethod<Req, Res> = (request: Req, metadata: Metadata, options: Partial<CallOptions>, callback: Callback<Res>) => ClientUnaryCall;

export interface CallExtras {
  metadata?: Metadata;
  deadlineMs?: number;
}

/** Request metadata carrying a bearer token. */
export function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

export class MemoryClient {
  readonly raw: MemoryServiceClient;

  constructor(address: string, channelCredentials: ChannelCredentials = credentials.createInsecure()) {
    this.raw = new MemoryServiceClient(address, channelCredentials);
  }

  // Methods are looked up per call: field initializers run before the constructor body sets `raw`.
  #bind<Req, Res>(
    messageType: { fromPartial(partial: DeepPartial<Req>): Req },
    method: (client: MemoryServiceClient) => UnaryMethod<Req, Res>,
  ) {
    return (partial: DeepPartial<Req>, extras: CallExtras = {}) =>
      new Promise<Res>((resolve, reject) => {
        const deadline = Date.now() + (extras.deadlineMs ?? 10_000);
        method(this.raw).call(this.raw, messageType.fromPartial(partial), extras.metadata ?? new Metadata(), { deadline }, (err, res) =>
          err ? reject(err) : resolve(res),
        );
      });
  }

  create = this.#bind(CreateUserMemoryRequest, (c) => c.createUserMemory);
  batchCreate = this.#bind(BatchCreateUserMemoriesRequest, (c) => c.batchCreateUserMemories);
  get = this.#bind(GetUserMemoryRequest, (c) => c.getUserMemory);
  list = this.#bind(ListUserMemoriesRequest, (c) => c.listUserMemories);
  search = this.#bind(SearchUserMemoriesRequest, (c) => c.searchUserMemories);
  replace = this.#bind(ReplaceUserMemoryRequest, (c) => c.replaceUserMemory);
  update = this.#bind(UpdateUserMemoryRequest, (c) => c.updateUserMemory);
  delete = this.#bind(DeleteUserMemoryRequest, (c) => c.deleteUserMemory);
  batchDelete = this.#bind(BatchDeleteUserMemoriesRequest, (c) => c.batchDeleteUserMemories);
  clear = this.#bind(ClearUserMemoriesRequest, (c) => c.clearUserMemories);
  listTopics = this.#bind(ListMemoryTopicsRequest, (c) => c.listMemoryTopics);
  listUserStats = this.#bind(ListUserStatsRequest, (c) => c.listUserStats);
  batchUpsert = this.#bind(BatchUpsertUserMemoriesRequest, (c) => c.batchUpsertUserMemories);
  consolidate = this.#bind(ConsolidateUserMemoriesRequest, (c) => c.consolidateUserMemories);

  /** Every memory a listing returns, following its page tokens to the end. */
  async listAll(request: Omit<DeepPartial<ListUserMemoriesRequest>, "pageToken">): Promise<UserMemory[]> {
    const all: UserMemory[] = [];
    for (let pageToken = ""; ; ) {
      const page = await this.list({ pageSize: 1000, ...request, pageToken });
      all.push(...page.userMemories);
      pageToken = page.nextPageToken;
      if (!pageToken) return all;
    }
  }

  close(): void {
    this.raw.close();
  }
}

export interface DecodedDetails {
  status: Status;
  badRequest?: BadRequest;
  errorInfo?: ErrorInfo;
  resourceInfo?: ResourceInfo;
  retryInfo?: RetryInfo;
}

/** Decodes the google.rpc.Status trailer of a failed call. */
export function statusDetails(err: ServiceError): DecodedDetails {
  const [bin] = err.metadata.get("grpc-status-details-bin");
  if (!(bin instanceof Buffer)) throw new Error(`no status details on ${err.code}: ${err.details}`);
  const status = Status.decode(bin);
  const decoded: DecodedDetails = { status };
  for (const any of status.details) {
    const type = any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1);
    if (type === "google.rpc.BadRequest") decoded.badRequest = BadRequest.decode(any.value);
    if (type === "google.rpc.ErrorInfo") decoded.errorInfo = ErrorInfo.decode(any.value);
    if (type === "google.rpc.ResourceInfo") decoded.resourceInfo = ResourceInfo.decode(any.value);
    if (type === "google.rpc.RetryInfo") decoded.retryInfo = RetryInfo.decode(any.value);
  }
  return decoded;
}

/** Awaits a call that must fail, returning its error. */
export async function failure(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error("call succeeded but was expected to fail");
}

/** The field names of a BadRequest, for compact assertions. */
export function violatedFields(err: ServiceError): string[] {
  return (statusDetails(err).badRequest?.fieldViolations ?? []).map((v) => v.field);
}
