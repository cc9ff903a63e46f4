/**
 * The shape of one `tickflow` command. Its own module so that the command files need
 * not import the command table (commands.ts), which imports them.
 */
export interface Command {
  name: string;
  summary: string;
  help: string;
  run(argv: string[]): Promise<number>;
}
