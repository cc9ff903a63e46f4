/**
 * An object in the lake (key and size), as both targets and the S3 client list it.
 * Its own module so that target.ts and s3.ts need not import each other.
 */
export interface LakeObject {
  /** Path relative to the lake root, `/`-separated. */
  key: string;
  size: number;
}
