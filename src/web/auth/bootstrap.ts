import type { AuthStore } from '../../store/auth-store.js';
import { hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from './password.js';

export const ADMIN_USERNAME = 'admin';

/**
 * At start: with a password (HALFTIME_ADMIN_PASSWORD), make sure the user `admin` exists and has it
 * (setting it again ends that user's sessions). Without one, nothing changes; when no account exists
 * the one-time /setup page (loopback only) creates it.
 */
export async function ensureAdmin(users: AuthStore, password: string | undefined): Promise<'created' | 'updated' | 'unchanged' | 'setup-needed' | 'exists'> {
  if (!password) return (await users.countUsers()) === 0 ? 'setup-needed' : 'exists';
  if (password.length < MIN_PASSWORD_LENGTH) throw new Error(`HALFTIME_ADMIN_PASSWORD must be at least ${MIN_PASSWORD_LENGTH} characters`);
  const user = await users.userByName(ADMIN_USERNAME);
  if (!user) {
    await users.createUser(ADMIN_USERNAME, await hashPassword(password));
    return 'created';
  }
  if (await verifyPassword(password, user.passwordHash)) return 'unchanged';
  await users.setPassword(user.id, await hashPassword(password));
  return 'updated';
}
