// Logging for the web app, the server and the worker pools: structured fields plus a message.

export interface Logger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** One JSON object per line: easy for journald, Docker and log shippers. */
export function jsonLogger(write: (line: string) => void, now: () => number = Date.now): Logger {
  const line = (level: string) => (fields: Record<string, unknown>, message: string) =>
    write(`${JSON.stringify({ time: new Date(now()).toISOString(), level, msg: message, ...fields })}\n`);
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

/** For tests and embedders that want no log lines. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
