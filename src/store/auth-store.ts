import type { Sql } from './sql.js';

export type User = { id: number; username: string; passwordHash: string; createdAt: number; lastLoginAt: number | null };
export type SessionRow = { userId: number; username: string; csrfToken: string; expiresAt: number };
export type ApiTokenInfo = { id: number; name: string; prefix: string; createdAt: number; lastUsedAt: number | null; revokedAt: number | null };

type UserRow = { id: number; username: string; password_hash: string; created_at: number; last_login_at: number | null };
const toUser = (r: UserRow): User => ({ id: r.id, username: r.username, passwordHash: r.password_hash, createdAt: r.created_at, lastLoginAt: r.last_login_at });

/**
 * Users, sessions and API tokens. Session ids and API tokens are stored only as SHA-256 hashes
 * (the caller hashes them), so a copy of the database does not let anyone log in.
 */
export function createAuthStore(sql: Sql) {
  const TOKEN_COLS = 'id, name, prefix, created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"';
  const first = async <T>(text: string, params: unknown[] = []) => (await sql.pluck<T>(text, params))[0];
  return {
    countUsers: () => first<number>('SELECT count(*) FROM users'),
    async userByName(username: string): Promise<User | undefined> {
      const r = await sql.get<UserRow>('SELECT * FROM users WHERE username = ?', [username]);
      return r ? toUser(r) : undefined;
    },
    createUser: (username: string, passwordHash: string, now = Date.now()) => first<number>('INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?) RETURNING id', [username, passwordHash, now]),
    /** Replaces the password and ends every session of that user. */
    async setPassword(userId: number, passwordHash: string): Promise<void> {
      await sql.tx(async (tx) => {
        await tx.run('UPDATE users SET password_hash = ? WHERE id = ?', [passwordHash, userId]);
        await tx.run('DELETE FROM sessions WHERE user_id = ?', [userId]);
      });
    },
    async recordLogin(userId: number, now = Date.now()): Promise<void> {
      await sql.run('UPDATE users SET last_login_at = ? WHERE id = ?', [now, userId]);
    },
    async createSession(idHash: string, userId: number, csrfToken: string, expiresAt: number, now = Date.now()): Promise<void> {
      await sql.run('INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', [idHash, userId, csrfToken, now, expiresAt]);
    },
    session: (idHash: string, now = Date.now()) =>
      sql.get<SessionRow>(
        `SELECT s.user_id AS "userId", u.username, s.csrf_token AS "csrfToken", s.expires_at AS "expiresAt"
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ? AND s.expires_at > ?`,
        [idHash, now],
      ),
    async deleteSession(idHash: string): Promise<void> {
      await sql.run('DELETE FROM sessions WHERE id_hash = ?', [idHash]);
    },
    purgeExpiredSessions: async (now = Date.now()): Promise<number> => (await sql.run('DELETE FROM sessions WHERE expires_at <= ?', [now])).changes,
    createToken: (name: string, tokenHash: string, prefix: string, userId: number | null, now = Date.now()) =>
      first<number>('INSERT INTO api_tokens (name, token_hash, prefix, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id', [name, tokenHash, prefix, userId, now]),
    listTokens: () => sql.all<ApiTokenInfo>(`SELECT ${TOKEN_COLS} FROM api_tokens ORDER BY id DESC`),
    tokenByHash: (tokenHash: string) => sql.get<ApiTokenInfo>(`SELECT ${TOKEN_COLS} FROM api_tokens WHERE token_hash = ?`, [tokenHash]),
    revokeToken: async (id: number, now = Date.now()): Promise<boolean> => (await sql.run('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [now, id])).changes > 0,
    async touchToken(id: number, now = Date.now()): Promise<void> {
      await sql.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [now, id]);
    },
  };
}

export type AuthStore = ReturnType<typeof createAuthStore>;
