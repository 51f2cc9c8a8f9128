import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { repositoryRoot } from "./paths.js";

const SCRIPT = join(repositoryRoot(), "scripts", "go-tool.mjs");

/**
 * The path of a Go tool (grpcurl, grpc-health-probe, ghz, ferretdb), built
 * on first use by scripts/go-tool.mjs; throws with the reason when it
 * cannot be built (no Go toolchain, no module proxy).
 */
export function goTool(name: "grpcurl" | "grpc-health-probe" | "ghz" | "ferretdb"): string {
  try {
    return execFileSync(process.execPath, [SCRIPT, name], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new Error(`cannot build ${name} (needs Go and the Go module proxy): ${stderr.trim() || (err as Error).message}`);
  }
}

/** Like goTool, but returns the reason instead of throwing, for describe.skipIf. */
export function goToolOrReason(name: Parameters<typeof goTool>[0]): { path?: string; unavailable?: string } {
  try {
    return { path: goTool(name) };
  } catch (err) {
    return { unavailable: (err as Error).message };
  }
}
