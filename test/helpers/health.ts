import { type ChannelCredentials, type Client, credentials, makeGenericClientConstructor, type ServiceError } from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";

type Status = "SERVING" | "NOT_SERVING" | "UNKNOWN" | "SERVICE_UNKNOWN";

interface HealthStub extends Client {
  Check(
    request: { service: string },
    options: { deadline: number },
    callback: (err: ServiceError | null, res: { status: Status }) => void,
  ): void;
  Watch(request: { service: string }): NodeJS.EventEmitter & { cancel(): void };
}

const HealthClientConstructor = makeGenericClientConstructor(healthService, "grpc.health.v1.Health");

/** A grpc.health.v1 client for tests: Check, and Watch with a record of every status seen. */
export class HealthClient {
  readonly #stub: HealthStub;

  constructor(address: string, channelCredentials: ChannelCredentials = credentials.createInsecure()) {
    this.#stub = new HealthClientConstructor(address, channelCredentials) as unknown as HealthStub;
  }

  check(service = ""): Promise<Status> {
    return new Promise((resolve, reject) =>
      this.#stub.Check({ service }, { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(res.status))),
    );
  }

  /** Starts a Watch; `seen` collects statuses in arrival order. */
  watch(service = "") {
    const seen: Status[] = [];
    const stream = this.#stub.Watch({ service });
    stream.on("data", (res: { status: Status }) => seen.push(res.status));
    stream.on("error", () => {});
    return {
      seen,
      /** Resolves when a status arrives after `afterIndex` statuses that satisfies `wanted`. */
      async until(wanted: Status, timeoutMs = 15_000): Promise<void> {
        const started = Date.now();
        while (seen.at(-1) !== wanted) {
          if (Date.now() - started > timeoutMs) throw new Error(`health never became ${wanted}; saw ${seen.join(", ")}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      },
      cancel: () => stream.cancel(),
    };
  }

  close(): void {
    this.#stub.close();
  }
}
