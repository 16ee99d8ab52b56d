/**
 * PostgreSQL storage URLs without loading the driver: recognising one (so `openStorage` loads `pg` only when it is needed) and
 * removing its password for anything shown to people.
 */

/** URL query parameters that hold secrets (libpq names). */
const SECRET_PARAMS = ['password', 'sslpassword', 'sslkey'];

/**
 * The URL with its password (and any secret query parameter) replaced by `***`, safe for logs, status output, leaderboards and
 * error messages. Strings that are not URLs are returned with anything between `://user:` and `@` masked.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.replace(/(:\/\/[^:/@]*:)[^@]*@/, '$1***@').replace(/((?:ssl)?password=)[^&\s]*/gi, '$1***');
  }
  if (u.password) u.password = '***';
  for (const key of [...u.searchParams.keys()]) if (SECRET_PARAMS.includes(key.toLowerCase())) u.searchParams.set(key, '***');
  // URL percent-encodes the `*`s of a query value; keep them readable.
  return u.toString().replace(/%2A%2A%2A/gi, '***');
}

/** True for `postgresql://` and `postgres://` storage specs. */
export function isPostgresUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}
