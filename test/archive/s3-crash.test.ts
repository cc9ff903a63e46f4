import { crashSuite } from "./crash-suite.ts";

crashSuite("archiver killed with -9 while uploading to S3, then restarted", "s3", [
  { name: "kill -9 in the middle of a multipart upload loses and duplicates nothing", point: "upload", after: 4 },
  { name: "kill -9 after an object is in S3 but before its messages are acked loses and duplicates nothing", point: "ack", after: 4 },
]);
