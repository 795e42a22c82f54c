/**
 * Admin powers and their audit trail. A name in ADMINS is an admin only while a password protects it: a
 * guest who claims a free admin name gets no powers. Every moderation action is written to the log as
 * one structured `moderation` line (who, what, when, on whom or what), which is the audit trail.
 */
import type { Logger } from 'pino';
import { nameKey } from '../identity/name-key.js';
import type { UserRecord } from '../store/port.js';

export type ModerationAction = 'message:delete' | 'user:ban' | 'user:unban';

export interface ModerationEntry {
  actor: string;
  action: ModerationAction;
  /** The user banned or unbanned, or the author of the message deleted. */
  target: string;
  room?: string;
  messageId?: string;
}

export class Admins {
  readonly #keys: Set<string>;
  readonly #logger: Logger;

  constructor(names: readonly string[], logger: Logger) {
    this.#keys = new Set(names.map(nameKey));
    this.#logger = logger;
  }

  /** Whether `user` (as stored now) has admin powers. */
  isAdmin(user: UserRecord | null): boolean {
    return user !== null && user.passwordHash !== null && !user.banned && this.#keys.has(user.nameKey);
  }

  /** Whether `name` is listed, protected or not: a listed name cannot be banned by another admin. */
  isListed(name: string): boolean {
    return this.#keys.has(nameKey(name));
  }

  record(entry: ModerationEntry): void {
    this.#logger.info({ moderation: { ...entry, at: new Date().toISOString() } }, `moderation: ${entry.actor} ${entry.action} ${entry.target}`);
  }
}
