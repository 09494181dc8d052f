/**
 * Reads and checks the TLS files the settings name (`--grpc-server-cert`, `--http-server-key`,
 * ...) once, at startup, before any model loads. grpc-js and node:tls would only fail later, at
 * bind or on the first handshake, with messages that name neither the flag nor the file; here a
 * missing file, something that is not PEM, or a key that does not belong to its certificate stops
 * the server with an error naming both.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';

/** Thrown when a TLS file cannot be used; the message names the flag and the path. */
export class TlsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsFileError';
  }
}

/** A certificate chain and its private key, as PEM bytes. */
export interface TlsKeyPair {
  /** The PEM certificate chain, leaf first. */
  readonly cert: Buffer;
  /** The PEM private key of the leaf certificate (unencrypted). */
  readonly key: Buffer;
}

/** TLS of the gRPC frontend. */
export interface GrpcTlsMaterial extends TlsKeyPair {
  /** PEM CA certificates client certificates must chain to (mutual TLS). */
  readonly rootCerts?: Buffer;
  /** Refuse clients without a certificate signed by `rootCerts`. */
  readonly requireClientCert: boolean;
}

/** The TLS material of every frontend that uses TLS; a frontend without an entry is plaintext. */
export interface ServerTlsMaterial {
  readonly grpc?: GrpcTlsMaterial;
  readonly http?: TlsKeyPair;
}

/** The TLS part of the server settings. */
export interface TlsSettings {
  readonly grpcUseSsl: boolean;
  readonly grpcUseSslMutual: boolean;
  readonly grpcServerCert?: string;
  readonly grpcServerKey?: string;
  readonly grpcRootCert?: string;
  readonly httpUseSsl: boolean;
  readonly httpServerCert?: string;
  readonly httpServerKey?: string;
}

/** A file named by a flag. */
interface NamedFile {
  readonly flag: string;
  readonly path: string | undefined;
}

function readNamed({ flag, path }: NamedFile): Buffer {
  if (path === undefined) throw new TlsFileError(`${flag} is required`);
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new TlsFileError(`${flag} '${path}' cannot be read: ${why}`);
  }
}

function parseCertificate(file: NamedFile, pem: Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new TlsFileError(`${file.flag} '${file.path}' is not a PEM certificate (${(err as Error).message})`);
  }
}

function parseKey(file: NamedFile, pem: Buffer): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new TlsFileError(
      `${file.flag} '${file.path}' is not an unencrypted PEM private key (${(err as Error).message})`,
    );
  }
}

/**
 * Reads a certificate and its key and checks that they belong together.
 *
 * @example
 * ```ts
 * const pair = readKeyPair({ flag: '--http-server-cert', path: 'cert.pem' }, { flag: '--http-server-key', path: 'key.pem' });
 * ```
 */
export function readKeyPair(certFile: NamedFile, keyFile: NamedFile): TlsKeyPair {
  const cert = readNamed(certFile);
  const key = readNamed(keyFile);
  const x509 = parseCertificate(certFile, cert);
  const privateKey = parseKey(keyFile, key);
  if (!x509.checkPrivateKey(privateKey)) {
    throw new TlsFileError(
      `${keyFile.flag} '${keyFile.path}' does not match the certificate in ${certFile.flag} '${certFile.path}'`,
    );
  }
  return { cert, key };
}

/** Reads a PEM file of CA certificates (its first certificate is checked). */
export function readCaFile(file: NamedFile): Buffer {
  const pem = readNamed(file);
  parseCertificate(file, pem);
  return pem;
}

/**
 * Reads the TLS files the settings ask for. Throws {@link TlsFileError} naming the flag and path of
 * the first file that cannot be used.
 *
 * @example
 * ```ts
 * const tls = loadServerTls(settings); // before models load: a bad file stops startup early
 * createGrpcFrontend(core, { logger, tls: tls.grpc });
 * ```
 */
export function loadServerTls(settings: TlsSettings): ServerTlsMaterial {
  const material: { grpc?: GrpcTlsMaterial; http?: TlsKeyPair } = {};
  if (settings.grpcUseSsl || settings.grpcUseSslMutual) {
    const pair = readKeyPair(
      { flag: '--grpc-server-cert', path: settings.grpcServerCert },
      { flag: '--grpc-server-key', path: settings.grpcServerKey },
    );
    const rootFile = { flag: '--grpc-root-cert', path: settings.grpcRootCert };
    // Without mutual TLS the root certificate is not used (as in Triton), so it is not read.
    const rootCerts = settings.grpcUseSslMutual ? readCaFile(rootFile) : undefined;
    material.grpc = {
      ...pair,
      ...(rootCerts ? { rootCerts } : {}),
      requireClientCert: settings.grpcUseSslMutual,
    };
  }
  if (settings.httpUseSsl) {
    material.http = readKeyPair(
      { flag: '--http-server-cert', path: settings.httpServerCert },
      { flag: '--http-server-key', path: settings.httpServerKey },
    );
  }
  return material;
}
