/** A field-level problem, in French, for the person who filled the form. */
export interface FieldError {
  field: string;
  message: string;
}

/** Base of the errors a person can act on; the HTTP layer maps them to 4xx responses. */
export abstract class UserFacingError extends Error {
  abstract readonly statusCode: number;
}

export class InvalidInputError extends UserFacingError {
  readonly statusCode = 400;
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

export class NotAuthenticatedError extends UserFacingError {
  readonly statusCode = 401;
  constructor(message = 'Vous devez être connecté pour faire cette action.') {
    super(message);
    this.name = 'NotAuthenticatedError';
  }
}

export class ForbiddenError extends UserFacingError {
  readonly statusCode = 403;
  constructor(message = "Vous n'avez pas accès à cette ressource.") {
    super(message);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends UserFacingError {
  readonly statusCode = 404;
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends UserFacingError {
  readonly statusCode = 409;
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** Too many requests from one client or for one address: `retryAfterSeconds` goes in the Retry-After header. */
export class TooManyRequestsError extends UserFacingError {
  readonly statusCode = 429;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'TooManyRequestsError';
  }
}

/** Why a personal link was refused (shared/data/personal-links.ts). */
export type LinkRefusal = 'missing' | 'unknown' | 'expired' | 'revoked' | 'other-audience';

const LINK_REFUSAL_STATUS: Record<LinkRefusal, number> = { missing: 401, unknown: 401, expired: 410, revoked: 410, 'other-audience': 403 };

/**
 * A personal link that does not open the page: missing or unknown (401), expired or revoked (410: it existed, it
 * no longer opens anything), or made for the other audience (403). The answer names the page where a new link is
 * asked for, so the page can offer it.
 */
export class LinkRefusedError extends UserFacingError {
  readonly statusCode: number;
  constructor(
    readonly reason: LinkRefusal,
    message: string,
    readonly newLinkPath: string,
  ) {
    super(message);
    this.name = 'LinkRefusedError';
    this.statusCode = LINK_REFUSAL_STATUS[reason];
  }
}

export class PayloadTooLargeError extends UserFacingError {
  readonly statusCode = 413;
  constructor(limitBytes: number) {
    super(`La requête est trop volumineuse (limite : ${Math.round(limitBytes / 1024)} Ko).`);
    this.name = 'PayloadTooLargeError';
  }
}

export class UnsupportedMediaTypeError extends UserFacingError {
  readonly statusCode = 415;
  constructor() {
    super('Le contenu doit être envoyé au format JSON (Content-Type: application/json).');
    this.name = 'UnsupportedMediaTypeError';
  }
}

/**
 * The request was understood but what it carries cannot be accepted (a file that is not what it claims to be, a
 * launch file that fails its checks: `errors` lists them field by field).
 */
export class UnprocessableError extends UserFacingError {
  readonly statusCode = 422;
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'UnprocessableError';
  }
}

/** What the request names existed but is over (an expired upload). */
export class GoneError extends UserFacingError {
  readonly statusCode = 410;
  constructor(message: string) {
    super(message);
    this.name = 'GoneError';
  }
}
