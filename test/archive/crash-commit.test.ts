import { crashSuite } from "./crash-suite.ts";

crashSuite("archiver killed with -9 around committing a file, then restarted (local lake)", "local", [
  { name: "kill -9 while a file is being committed to the lake loses and duplicates nothing", point: "upload", after: 4 },
  { name: "kill -9 after a file is durable but before its messages are acked loses and duplicates nothing", point: "ack", after: 4 },
]);
