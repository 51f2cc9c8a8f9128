/**
 * The deployment artifacts agree with each other and with memoryd: the
 * Dockerfile's build commands are the ones scripts/image-smoke.sh (which
 * runs them without Docker) and scripts/go-tool.mjs run, the image and the
 * Kubernetes manifests only set environment variables memoryd reads, and
 * the probes, ports, shutdown timing and Service selectors line up.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { memorydCommand } from "../src/config.js";
import { LIVENESS_SERVICE_NAME, MEMORY_SERVICE_NAME } from "../src/health.js";

const root = join(import.meta.dirname, "..");
const read = (path: string) => readFileSync(join(root, path), "utf8");

// ---------------------------------------------------------------- Dockerfile

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

interface Stage {
  readonly name: string | undefined;
  readonly from: string;
  readonly instructions: Instruction[];
}

/** Splits a Dockerfile into stages; every instruction is one line (the file uses no continuations). */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const match = /^([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!match) throw new Error(`Dockerfile line ${i + 1}: cannot parse ${JSON.stringify(raw)}`);
    const keyword = match[1]!.toUpperCase();
    const args = match[2]!.trim();
    if (keyword === "FROM") {
      const from = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`Dockerfile line ${i + 1}: cannot parse FROM ${args}`);
      stages.push({ from: from[1]!, name: from[2], instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`Dockerfile line ${i + 1}: ${keyword} before FROM`);
      stage.instructions.push({ keyword, args, line: i + 1 });
    }
  });
  return stages;
}

const dockerfileText = read("Dockerfile");
const stages = parseDockerfile(dockerfileText);
const stage = (name: string): Stage => {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`Dockerfile has no stage ${name}`);
  return found;
};
const finalStage = stages.at(-1)!;
const all = (s: Stage, keyword: string) => s.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const one = (s: Stage, keyword: string): string => {
  const found = all(s, keyword);
  expect(found, `${keyword} in stage ${s.name ?? "final"}`).toHaveLength(1);
  return found[0]!;
};

/** `A=1 B=2` (or the legacy `A 1`) as a map. Values here contain no spaces or quotes. */
function parseEnv(args: string): Map<string, string> {
  if (!args.includes("=")) {
    const [name, ...value] = args.split(/\s+/);
    return new Map([[name!, value.join(" ")]]);
  }
  return new Map(
    args.split(/\s+/).map((pair) => {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new Error(`ENV: cannot parse ${pair}`);
      return [pair.slice(0, eq), pair.slice(eq + 1)] as const;
    }),
  );
}

/**
 * The one documented difference between the Dockerfile and the smoke script:
 * where node-gyp finds Node's headers (/usr/local in the node image,
 * $NODEDIR = /usr on the dev and CI machines).
 */
const normalizeNodedir = (s: string) =>
  s.replace(/npm_config_nodedir=(?:\/usr\/local|\$NODEDIR|\$\{NODEDIR\})(?=\s)/g, "npm_config_nodedir=<nodedir>");

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Whether `command` occurs in `script` as a whole shell command, not as part of a longer one. */
function runsCommand(script: string, command: string): boolean {
  const pattern = new RegExp(`(?:^|[\\s;&|(])${escapeRegExp(normalizeNodedir(command))}(?=\\s*(?:$|[;&|)]))`, "m");
  return pattern.test(normalizeNodedir(script));
}

/** Every environment variable memoryd reads, from its command-line definition. */
const memorydEnvVars = new Set(memorydCommand().options.map((o) => o.envVar));
const memorydDefault = (envVar: string): unknown => memorydCommand().options.find((o) => o.envVar === envVar)?.defaultValue;

const portOf = (hostPort: string) => Number(hostPort.slice(hostPort.lastIndexOf(":") + 1));

describe("Dockerfile", () => {
  it("has the probe, deps and build stages and a final stage, with one-line instructions", () => {
    expect(stages.map((s) => s.name)).toEqual(["probe", "deps", "build", undefined]);
    expect(stage("probe").from).toBe("golang:1.26-bookworm");
    expect(stage("deps").from).toBe("node:20-bookworm");
    expect(stage("build").from).toBe("node:20-bookworm");
    expect(finalStage.from).toBe("node:20-bookworm-slim");
    const continued = dockerfileText.split("\n").filter((l) => !l.trim().startsWith("#") && /\\\s*$/.test(l));
    expect(continued, "instructions continued with a backslash").toEqual([]);
  });

  it("builds with the same commands scripts/image-smoke.sh runs (only the Node headers path differs)", () => {
    const smoke = read("scripts/image-smoke.sh");
    const ci = read(".ci/run");
    const runs = [...all(stage("deps"), "RUN"), ...all(stage("build"), "RUN")];
    expect(runs).toEqual([
      "npm_config_nodedir=/usr/local npm ci --omit=dev --no-audit --no-fund",
      "npm_config_nodedir=/usr/local npm ci --no-audit --no-fund",
      "npm run build",
    ]);
    const missing = runs.filter((command) => !runsCommand(smoke, command) && !runsCommand(ci, command));
    expect(missing, "Dockerfile RUN commands that neither scripts/image-smoke.sh nor .ci/run runs").toEqual([]);
    // The smoke script really reproduces the deps stage, whatever .ci/run does.
    expect(runsCommand(smoke, runs[0]!)).toBe(true);
  });

  it("installs grpc_health_probe with the module and version scripts/go-tool.mjs builds for the tests", async () => {
    const { TOOLS } = (await import("../scripts/go-tool.mjs" as string)) as {
      TOOLS: Record<string, { module?: string; version?: string; binary?: string }>;
    };
    const tool = TOOLS["grpc-health-probe"]!;
    const install = one(stage("probe"), "RUN");
    expect(install).toBe("go install github.com/grpc-ecosystem/grpc-health-probe@v0.4.61");
    expect(install).toBe(`go install ${tool.module}@${tool.version}`);
    // The stage installs into $GOBIN; the final stage copies that binary, named as go install names it.
    const gobin = parseEnv(one(stage("probe"), "ENV")).get("GOBIN");
    expect(all(finalStage, "COPY")).toContain(`--from=probe ${gobin}/${tool.binary} /usr/local/bin/grpc_health_probe`);
  });

  it("assembles the final stage from node_modules, dist, gen/memoryd.binpb and package.json", () => {
    const copies = all(finalStage, "COPY");
    expect(copies).toEqual(
      expect.arrayContaining([
        "--from=deps /app/node_modules ./node_modules",
        "--from=build /app/dist ./dist",
        "gen/memoryd.binpb ./gen/memoryd.binpb",
        "package.json ./",
      ]),
    );
    expect(one(finalStage, "WORKDIR")).toBe("/app");
    const pkg = JSON.parse(read("package.json")) as { bin: Record<string, string> };
    expect(JSON.parse(one(finalStage, "ENTRYPOINT"))).toEqual(["node", pkg.bin.memoryd]);
    expect(one(finalStage, "STOPSIGNAL")).toBe("SIGTERM");
  });

  it("runs as a non-root user, with a grpc_health_probe HEALTHCHECK on the served port", () => {
    const user = one(finalStage, "USER");
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const healthcheck = one(finalStage, "HEALTHCHECK");
    const cmd = /\bCMD\s+(\[.*\])$/.exec(healthcheck);
    expect(cmd, healthcheck).not.toBeNull();
    const argv = JSON.parse(cmd![1]!) as string[];
    expect(argv[0]).toBe("grpc_health_probe");
    expect(argv).toContain(`-service=${MEMORY_SERVICE_NAME}`);
    const env = parseEnv(one(finalStage, "ENV"));
    expect(argv).toContain(`-addr=127.0.0.1:${portOf(env.get("MEMORYD_LISTEN")!)}`);
    // The smoke script polls the same check.
    expect(read("scripts/image-smoke.sh")).toContain(`grpc_health_probe -addr=127.0.0.1:$grpc_port -service=${MEMORY_SERVICE_NAME}`);
  });

  it("sets only environment variables memoryd reads, and exposes its ports", () => {
    const env = parseEnv(one(finalStage, "ENV"));
    const unknown = [...env.keys()].filter((name) => !memorydEnvVars.has(name));
    expect(unknown, "ENV names memoryd does not read").toEqual([]);
    expect(env.get("MEMORYD_STORAGE_URL")).toBe("sqlite:///data/memoryd.db");
    expect(all(finalStage, "VOLUME")).toEqual(["/data"]);
    const exposed = one(finalStage, "EXPOSE").split(/\s+/).map(Number);
    expect(exposed.sort()).toEqual([portOf(env.get("MEMORYD_LISTEN")!), portOf(env.get("MEMORYD_METRICS_LISTEN")!)].sort());
  });

  it("copies nothing that .dockerignore leaves out of the build context", () => {
    const patterns = read(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    expect(patterns).toEqual(expect.arrayContaining(["node_modules", "dist", ".git", "test"]));
    const ignored = patterns.map((p) => new RegExp(`^${p.split("*").map(escapeRegExp).join("[^/]*")}(?:/|$)`));
    const sources = stages
      .flatMap((s) => all(s, "COPY"))
      .filter((args) => !args.startsWith("--from="))
      .flatMap((args) => args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(root, source)), `${source} exists`).toBe(true);
      expect(
        ignored.filter((re) => re.test(source)),
        `${source} is excluded by .dockerignore`,
      ).toEqual([]);
    }
  });

  it("scripts/image-smoke.sh is an executable bash script that fails on errors", () => {
    const smoke = read("scripts/image-smoke.sh");
    expect(smoke.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    expect(smoke).toContain("set -euo pipefail");
    expect(statSync(join(root, "scripts/image-smoke.sh")).mode & 0o111).not.toBe(0);
  });
});

// ---------------------------------------------------------------- Kubernetes

interface Manifest {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: parsed YAML, checked field by field below
  spec?: any;
  stringData?: Record<string, string>;
  resources?: string[];
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

interface GrpcProbe {
  grpc?: { port: number; service?: string };
  failureThreshold?: number;
  periodSeconds?: number;
}

interface Container {
  name: string;
  image: string;
  ports: { name: string; containerPort: number }[];
  env: EnvVar[];
  readinessProbe: GrpcProbe;
  livenessProbe: GrpcProbe;
  startupProbe: GrpcProbe;
  securityContext: Record<string, unknown>;
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
}

const k8sDir = join(root, "deploy", "kubernetes");

function loadYaml(file: string): Manifest[] {
  const docs = parseAllDocuments(readFileSync(join(k8sDir, file), "utf8"));
  if (!Array.isArray(docs)) return [];
  return docs.map((doc, i) => {
    const errors = [...doc.errors, ...doc.warnings].map((e) => e.message);
    if (errors.length > 0) throw new Error(`${file} document ${i + 1}: ${errors.join("; ")}`);
    return doc.toJS() as Manifest;
  });
}

describe("Kubernetes manifests (deploy/kubernetes)", () => {
  const kustomization = loadYaml("kustomization.yaml")[0]!;
  const yamlFiles = readdirSync(k8sDir).filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml");
  const manifests = (kustomization.resources ?? []).flatMap(loadYaml);
  const find = (kind: string, name: string): Manifest => {
    const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
    if (!found) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
    return found;
  };
  const deployment = find("Deployment", "memoryd");
  const pod = deployment.spec.template;
  const container = (pod.spec.containers as Container[]).find((c) => c.name === "memoryd");
  if (!container) throw new Error("the memoryd Deployment has no container named memoryd");
  const containerPort = (name: string) => container.ports.find((p) => p.name === name)?.containerPort;
  const envValue = (name: string) => container.env.find((e) => e.name === name)?.value;

  it("parse, and kustomization.yaml lists every manifest", () => {
    expect(kustomization.kind).toBe("Kustomization");
    expect([...(kustomization.resources ?? [])].sort()).toEqual(yamlFiles.sort());
    expect(manifests.every((m) => typeof m.kind === "string" && typeof m.metadata?.name === "string")).toBe(true);
  });

  it("run 3 replicas of memoryd:latest with gRPC and metrics ports", () => {
    expect(deployment.spec.replicas).toBe(3);
    expect(container.image).toBe("memoryd:latest");
    expect(containerPort("grpc")).toBe(50051);
    expect(containerPort("metrics")).toBe(9464);
    expect(portOf(envValue("MEMORYD_LISTEN")!)).toBe(containerPort("grpc"));
    expect(portOf(envValue("MEMORYD_METRICS_LISTEN")!)).toBe(containerPort("metrics"));
    expect(pod.metadata.annotations).toMatchObject({
      "prometheus.io/scrape": "true",
      "prometheus.io/port": String(containerPort("metrics")),
    });
  });

  it("probe memoryd's health services with native gRPC probes on the gRPC port", () => {
    const grpcPort = containerPort("grpc");
    expect(container.readinessProbe.grpc).toEqual({ port: grpcPort, service: MEMORY_SERVICE_NAME });
    expect(container.startupProbe.grpc).toEqual({ port: grpcPort, service: MEMORY_SERVICE_NAME });
    expect(container.livenessProbe.grpc).toEqual({ port: grpcPort, service: LIVENESS_SERVICE_NAME });
    expect(container.startupProbe).toMatchObject({ failureThreshold: 30, periodSeconds: 2 });
    // The startup probe outlasts memoryd's own retrying of an unreachable database.
    const startupTimeoutMs = Number(envValue("MEMORYD_STORAGE_STARTUP_TIMEOUT_MS") ?? memorydDefault("MEMORYD_STORAGE_STARTUP_TIMEOUT_MS"));
    expect(container.startupProbe.failureThreshold! * container.startupProbe.periodSeconds! * 1000).toBeGreaterThan(startupTimeoutMs);
  });

  it("set only environment variables memoryd reads, the storage URL from the memoryd-postgres Secret", () => {
    const unknown = container.env.map((e) => e.name).filter((name) => !memorydEnvVars.has(name));
    expect(unknown, "env names memoryd does not read").toEqual([]);
    const storage = container.env.find((e) => e.name === "MEMORYD_STORAGE_URL");
    expect(storage?.valueFrom?.secretKeyRef).toEqual({ name: "memoryd-postgres", key: "url" });
    expect(find("Secret", "memoryd-postgres").stringData?.url).toMatch(/^postgres:\/\//);
  });

  it("give memoryd time to drain: terminationGracePeriodSeconds exceeds the shutdown delay plus grace", () => {
    const delayMs = Number(envValue("MEMORYD_SHUTDOWN_DELAY_MS") ?? memorydDefault("MEMORYD_SHUTDOWN_DELAY_MS"));
    const graceMs = Number(envValue("MEMORYD_SHUTDOWN_GRACE_MS") ?? memorydDefault("MEMORYD_SHUTDOWN_GRACE_MS"));
    expect(delayMs).toBe(5000);
    expect(graceMs).toBe(20000);
    expect(pod.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(delayMs + graceMs);
  });

  it("run memoryd unprivileged on a read-only root filesystem, with resource requests and limits", () => {
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    expect(Object.keys(container.resources.requests ?? {}).sort()).toEqual(["cpu", "memory"]);
    expect(container.resources.limits?.memory).toBeDefined();
  });

  it("route the Services to the Deployment's pods and named ports", () => {
    const podLabels = pod.metadata.labels as Record<string, string>;
    expect(podLabels).toMatchObject(deployment.spec.selector.matchLabels);
    const service = find("Service", "memoryd");
    const headless = find("Service", "memoryd-headless");
    expect(service.spec.type ?? "ClusterIP").toBe("ClusterIP");
    expect(headless.spec.clusterIP).toBe("None");
    for (const svc of [service, headless]) {
      expect(Object.keys(svc.spec.selector).length).toBeGreaterThan(0);
      expect(podLabels).toMatchObject(svc.spec.selector);
      for (const port of svc.spec.ports as { name: string; targetPort: string | number }[]) {
        const target = typeof port.targetPort === "number" ? port.targetPort : containerPort(port.targetPort);
        expect(
          container.ports.map((p) => p.containerPort),
          `${svc.metadata.name} port ${port.name}`,
        ).toContain(target);
      }
    }
    const grpc = (service.spec.ports as { name: string; port: number; appProtocol?: string }[]).find((p) => p.name === "grpc");
    expect(grpc).toMatchObject({ port: 50051, appProtocol: "grpc" });
    expect((service.spec.ports as { name: string; port: number }[]).find((p) => p.name === "metrics")?.port).toBe(9464);
  });

  it("include an example PostgreSQL that the storage URL reaches", () => {
    const url = new URL(find("Secret", "memoryd-postgres").stringData!.url!);
    const statefulSet = find("StatefulSet", url.hostname);
    const service = find("Service", url.hostname);
    expect(statefulSet.spec.serviceName).toBe(service.metadata.name);
    expect(statefulSet.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(statefulSet.spec.volumeClaimTemplates).toHaveLength(1);
    const postgres = statefulSet.spec.template.spec.containers[0] as Container;
    expect(postgres.image).toBe("postgres:16");
    const env = (name: string) => postgres.env.find((e) => e.name === name);
    expect(env("POSTGRES_USER")?.value).toBe(decodeURIComponent(url.username));
    expect(env("POSTGRES_DB")?.value).toBe(url.pathname.slice(1));
    const passwordRef = env("POSTGRES_PASSWORD")?.valueFrom?.secretKeyRef;
    expect(passwordRef).toBeDefined();
    expect(find("Secret", passwordRef!.name).stringData?.[passwordRef!.key]).toBe(decodeURIComponent(url.password));
    expect(Number(url.port)).toBe(service.spec.ports[0].port);
  });
});
