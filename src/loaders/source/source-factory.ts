import type { AppConfig } from '../../config/config';
import type { Location } from '../../config/location';
import { createS3Client } from '../../storage/s3-client';
import { LocalSource } from './local-source';
import { S3Source } from './s3-source';
import { Source } from './source';

export function createSource(location: Location, s3: AppConfig['s3']): Source {
  if (location.kind === 'file') return new LocalSource(location.path);
  return new S3Source(createS3Client(s3), { bucket: location.bucket, prefix: location.prefix, ownsClient: true });
}
