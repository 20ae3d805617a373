/*
 * The shapes of a personal link's token (decisions 22 and 42), apart from the rest of the links' rules so that the
 * pages take a token from the URL's fragment by the same patterns the API checks.
 */

/** 32 random bytes in base64url, without padding: a link stored as an item of its own (`LINK#<hash>`). */
export const LINK_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * A link issued with its message by a batch (decision 42): the 32 random bytes, then the key of the message that
 * carries it, its person and its id, each in base64url after a dot. Its hash is kept on that message, read by key.
 */
export const MESSAGE_LINK_TOKEN_PATTERN = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{1,200})\.([A-Za-z0-9_-]{1,400})$/;

/** Whether a value has the shape of a link's token (of either kind): nothing else is kept or sent. */
export const isLinkToken = (value: string): boolean => LINK_TOKEN_PATTERN.test(value) || MESSAGE_LINK_TOKEN_PATTERN.test(value);
