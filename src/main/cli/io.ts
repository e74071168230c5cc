// Where the CLI writes and what it reads: its own module, so each command can name it without importing the program that runs it.

/** Where the CLI writes and what it reads; injected so tests run it in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The stream behind `stdout`, when there is one: `tail` ends quietly when it closes (EPIPE). */
  readonly stdoutStream?: NodeJS.WritableStream;
  /** The built web UI served by `serve`. */
  readonly uiDir?: string;
}
