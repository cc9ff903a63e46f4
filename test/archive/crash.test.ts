import { crashSuite } from "./crash-suite.ts";

crashSuite("archiver killed with -9 before its files are durable, then restarted (local lake)", "local", [
  { name: "kill -9 while rows are being appended loses and duplicates nothing", point: "append", after: 60 },
  { name: "kill -9 in the middle of a COPY to Parquet loses and duplicates nothing", point: "copy", after: 4 },
]);
