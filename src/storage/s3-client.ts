import { S3Client } from '@aws-sdk/client-s3';
import type { AppConfig } from '../config/config';

/** The one client setup shared by the inRiver source and the export store. */
export function createS3Client(s3: AppConfig['s3']): S3Client {
  return new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: s3.forcePathStyle,
    // S3-compatible stores (MinIO, s3rver, older Ceph) reject or lack the newer default checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Where a client sends its requests, for messages: the configured endpoint, or AWS's for the region. */
export async function s3EndpointOf(client: S3Client): Promise<string> {
  try {
    const e = await client.config.endpoint?.();
    if (e) return `${e.protocol}//${e.hostname}${e.port ? `:${e.port}` : ''}${e.path && e.path !== '/' ? e.path : ''}`;
    return `AWS S3 (${await client.config.region()})`;
  } catch {
    return 'the S3 endpoint';
  }
}

/**
 * An SDK error as an operator can act on it: the SDK says "The specified bucket does not exist"
 * without naming the bucket, key or endpoint. The SDK error stays as `cause`.
 */
export async function s3Failure(client: S3Client, err: unknown, operation: string, uri: string): Promise<Error> {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = e.Code ?? (e.name && e.name !== 'Error' ? e.name : undefined);
  const status = e.$metadata?.httpStatusCode;
  const detail = [code, status ? `HTTP ${status}` : null].filter(Boolean).join(', ');
  const message = e.message || code || String(err);
  return new Error(`S3 ${operation} ${uri} at ${await s3EndpointOf(client)} failed: ${message}${detail && detail !== message ? ` (${detail})` : ''}`, { cause: err });
}
