/**
 * Throwaway certificates for the TLS tests, made with the openssl CLI: a
 * CA, a server certificate for localhost / 127.0.0.1 and a client
 * certificate, all EC P-256 and valid for two days.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface CertificateAuthority {
  readonly cert: string;
  readonly key: string;
  /** Issues a leaf certificate; returns the paths of its PEM files. */
  issue(name: string, usage: "server" | "client", serial?: number): { cert: string; key: string };
}

const openssl = (args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

export function createCertificateAuthority(dir: string, name: string): CertificateAuthority {
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, `${name}-ca.crt`);
  const key = join(dir, `${name}-ca.key`);
  openssl(["req", "-x509", ...ecKey, "-keyout", key, "-out", cert, "-days", "2", "-subj", `/CN=${name} test CA`]);
  return {
    cert,
    key,
    issue(leaf, usage, serial = 1) {
      const leafCert = join(dir, `${leaf}.crt`);
      const leafKey = join(dir, `${leaf}.key`);
      const csr = join(dir, `${leaf}.csr`);
      const ext = join(dir, `${leaf}.ext`);
      writeFileSync(
        ext,
        usage === "server" ? "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n" : "extendedKeyUsage=clientAuth\n",
      );
      openssl(["req", ...ecKey, "-keyout", leafKey, "-out", csr, "-subj", `/CN=${leaf}`]);
      openssl([
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        cert,
        "-CAkey",
        key,
        "-set_serial",
        String(serial),
        "-out",
        leafCert,
        "-days",
        "2",
        "-extfile",
        ext,
      ]);
      return { cert: leafCert, key: leafKey };
    },
  };
}
