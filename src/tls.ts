/**
 * Server credentials: plaintext, TLS, or mutual TLS, from PEM files.
 *
 * Certificates are read through grpc-js's file-watching certificate
 * provider and re-read every `refreshMs`, so a rotated certificate (as
 * cert-manager or a mesh CA writes it) is served to new connections
 * without a restart.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { experimental, ServerCredentials } from "@grpc/grpc-js";

export interface TlsOptions {
  /** PEM certificate chain the server presents. */
  readonly certFile: string;
  /** PEM private key of that certificate. */
  readonly keyFile: string;
  /** PEM CA bundle; when set, clients must present a certificate it signed (mTLS). */
  readonly clientCaFile?: string;
  /** How often the files are re-read. */
  readonly refreshMs: number;
}

export interface Credentials {
  readonly credentials: ServerCredentials;
  /**
   * Resolves once the certificate files have been loaded. grpc-js drops
   * connections until then, so the server must not report SERVING earlier.
   */
  readonly loaded: Promise<void>;
}

export function serverCredentials(tls: TlsOptions | undefined): Credentials {
  if (!tls) return { credentials: ServerCredentials.createInsecure(), loaded: Promise.resolve() };
  // Read once up front so a missing file or a key that does not match its
  // certificate stops the start with a clear message.
  try {
    createSecureContext({
      cert: readFileSync(tls.certFile),
      key: readFileSync(tls.keyFile),
      ca: tls.clientCaFile === undefined ? undefined : readFileSync(tls.clientCaFile),
    });
  } catch (err) {
    throw new Error(`TLS configuration: ${(err as Error).message}`, { cause: err });
  }
  const provider = new experimental.FileWatcherCertificateProvider({
    certificateFile: tls.certFile,
    privateKeyFile: tls.keyFile,
    caCertificateFile: tls.clientCaFile,
    refreshIntervalMs: tls.refreshMs,
  });
  const loaded = new Promise<void>((resolve, reject) => {
    const listener = (update: experimental.IdentityCertificateUpdate | null) => {
      provider.removeIdentityCertificateListener(listener);
      if (update) resolve();
      else reject(new Error(`TLS configuration: cannot read ${tls.certFile} or ${tls.keyFile}`));
    };
    provider.addIdentityCertificateListener(listener);
  });
  const mutual = tls.clientCaFile !== undefined;
  // grpc-js passes its first argument on as the identity (certificate and
  // key) provider and its second as the CA provider, whatever the parameter
  // names in its type declarations say; the mTLS tests pin this down.
  const credentials = experimental.createCertificateProviderServerCredentials(provider, mutual ? provider : null, mutual);
  return { credentials, loaded };
}
