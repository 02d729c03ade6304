/** `s3://bucket/prefix` locations, as `journal_path` takes them. */

export interface S3Location {
  bucket: string;
  /** '' or a prefix ending in '/', under which every object of the location lives. */
  prefix: string;
}

// Bucket names as S3-compatible stores accept them: 3-63 lowercase letters, digits, dots and hyphens.
const S3_URL = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/;

export function isS3Url(text: string): boolean {
  return parseS3Url(text) !== undefined;
}

export function parseS3Url(text: string): S3Location | undefined {
  const m = S3_URL.exec(text);
  if (!m) return undefined;
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket: m[1] as string, prefix: prefix ? `${prefix}/` : '' };
}
