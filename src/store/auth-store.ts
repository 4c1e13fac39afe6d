import type { Db } from './db.js';

export type User = { id: number; username: string; passwordHash: string; createdAt: number; lastLoginAt: number | null };
export type SessionRow = { userId: number; username: string; csrfToken: string; expiresAt: number };
export type ApiTokenInfo = { id: number; name: string; prefix: string; createdAt: number; lastUsedAt: number | null; revokedAt: number | null };

type UserRow = { id: number; username: string; password_hash: string; created_at: number; last_login_at: number | null };
const toUser = (r: UserRow): User => ({ id: r.id, username: r.username, passwordHash: r.password_hash, createdAt: r.created_at, lastLoginAt: r.last_login_at });

/**
 * Users, sessions and API tokens. Session ids and API tokens are stored only as SHA-256 hashes
 * (the caller hashes them), so a copy of the database does not let anyone log in.
 */
export function createAuthStore(db: Db) {
  const s = {
    countUsers: db.prepare('SELECT count(*) FROM users').pluck(),
    userByName: db.prepare('SELECT * FROM users WHERE username = ?'),
    insertUser: db.prepare('INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?) RETURNING id').pluck(),
    setPassword: db.prepare('UPDATE users SET password_hash = ? WHERE id = ?'),
    touchLogin: db.prepare('UPDATE users SET last_login_at = ? WHERE id = ?'),
    insertSession: db.prepare('INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)'),
    session: db.prepare(
      `SELECT s.user_id AS userId, u.username, s.csrf_token AS csrfToken, s.expires_at AS expiresAt
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ? AND s.expires_at > ?`,
    ),
    deleteSession: db.prepare('DELETE FROM sessions WHERE id_hash = ?'),
    deleteUserSessions: db.prepare('DELETE FROM sessions WHERE user_id = ?'),
    purgeSessions: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
    insertToken: db.prepare('INSERT INTO api_tokens (name, token_hash, prefix, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id').pluck(),
    tokens: db.prepare('SELECT id, name, prefix, created_at AS createdAt, last_used_at AS lastUsedAt, revoked_at AS revokedAt FROM api_tokens ORDER BY id DESC'),
    tokenByHash: db.prepare('SELECT id, name, prefix, created_at AS createdAt, last_used_at AS lastUsedAt, revoked_at AS revokedAt FROM api_tokens WHERE token_hash = ?'),
    revokeToken: db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    touchToken: db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?'),
  };

  return {
    countUsers: (): number => s.countUsers.get() as number,
    userByName(username: string): User | undefined {
      const r = s.userByName.get(username) as UserRow | undefined;
      return r ? toUser(r) : undefined;
    },
    createUser: (username: string, passwordHash: string, now = Date.now()): number => s.insertUser.get(username, passwordHash, now) as number,
    /** Replaces the password and ends every session of that user. */
    setPassword(userId: number, passwordHash: string) {
      db.transaction(() => {
        s.setPassword.run(passwordHash, userId);
        s.deleteUserSessions.run(userId);
      })();
    },
    recordLogin: (userId: number, now = Date.now()) => void s.touchLogin.run(now, userId),
    createSession(idHash: string, userId: number, csrfToken: string, expiresAt: number, now = Date.now()) {
      s.insertSession.run(idHash, userId, csrfToken, now, expiresAt);
    },
    session: (idHash: string, now = Date.now()) => s.session.get(idHash, now) as SessionRow | undefined,
    deleteSession: (idHash: string) => void s.deleteSession.run(idHash),
    purgeExpiredSessions: (now = Date.now()): number => s.purgeSessions.run(now).changes,
    createToken: (name: string, tokenHash: string, prefix: string, userId: number | null, now = Date.now()): number =>
      s.insertToken.get(name, tokenHash, prefix, userId, now) as number,
    listTokens: () => s.tokens.all() as ApiTokenInfo[],
    tokenByHash: (tokenHash: string) => s.tokenByHash.get(tokenHash) as ApiTokenInfo | undefined,
    revokeToken: (id: number, now = Date.now()): boolean => s.revokeToken.run(now, id).changes > 0,
    touchToken: (id: number, now = Date.now()) => void s.touchToken.run(now, id),
  };
}

export type AuthStore = ReturnType<typeof createAuthStore>;
