/**
 * The shape of every id a URL of the app carries (UUIDs, approval ids, contact issue ids such as
 * `young.email.0123456789abcdef`): URL-safe characters, at most 200, and not only dots (`..` is a path segment).
 * Anything else names nothing: it is answered as not found before it reaches storage, whose keys have a size limit.
 */
const OPAQUE_ID = /^(?!\.+$)[A-Za-z0-9._~-]{1,200}$/;

export const isOpaqueId = (value: string): boolean => OPAQUE_ID.test(value);
