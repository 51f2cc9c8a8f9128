import { execFileSync } from "node:child_process";

/** Process-level tests run the compiled server exactly as `npm start` does. */
export default function setup(): void {
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
}
