import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where files are read from or written to: an S3 bucket + prefix, or a local directory. */
export type Location =
  | { kind: 's3'; bucket: string; prefix: string; url: string }
  | { kind: 'file'; path: string; url: string };

/** Parses `s3://bucket/prefix` or `file:///abs/path`; throws an Error with the reason. */
export function parseLocation(value: string): Location {
  const v = value.trim();
  if (v.startsWith('s3://')) {
    const rest = v.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new Error(`"${bucket}" is not a valid S3 bucket name`);
    return { kind: 's3', bucket, prefix, url: `s3://${bucket}${prefix ? `/${prefix}` : ''}` };
  }
  if (v.startsWith('file://')) {
    const p = fileURLToPath(v);
    return { kind: 'file', path: p, url: pathToFileURL(p).href };
  }
  throw new Error(`expected s3://bucket/prefix or file:///absolute/path, got "${value}"`);
}

export function localLocation(dir: string): Location {
  const p = path.resolve(dir);
  return { kind: 'file', path: p, url: pathToFileURL(p).href };
}
