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

export function serverCredentials(tls: TlsOptions | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  const provider = new experimental.FileWatcherCertificateProvider({
    certificateFile: tls.certFile,
    privateKeyFile: tls.keyFile,
    caCertificateFile: tls.clientCaFile,
    refreshIntervalMs: tls.refreshMs,
  });
  const mutual = tls.clientCaFile !== undefined;
  // grpc-js passes its first argument on as the identity (certificate and
  // key) provider and its second as the CA provider, whatever the parameter
  // names in its type declarations say; the mTLS tests pin this down.
  return experimental.createCertificateProviderServerCredentials(provider, mutual ? provider : null, mutual);
}
