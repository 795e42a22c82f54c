import { pino, type Logger } from 'pino';

export type { Logger };

/** The process logger: JSON lines on stdout, one `replica` field so cluster logs can be told apart. */
export function createLogger(options: { level: string; replicaId?: string }): Logger {
  return pino({
    level: options.level,
    base: { replica: options.replicaId ?? process.pid },
    redact: { paths: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'], censor: '[redacted]' },
  });
}
