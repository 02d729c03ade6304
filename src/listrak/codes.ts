/**
 * What each Listrak error code means for a sync: done already, a per-contact rejection, or fatal for the run.
 * One table, so every phase treats the same answer the same way.
 */
import { ListrakError } from '../errors.js';

/**
 * Answers that state where a number stands: to a write that wanted it there, the write is already done (a
 * subscribe of a number already subscribed or waiting for its opt-in, an unsubscribe of one not subscribed, a
 * create of one the sender code already has).
 */
export const NUMBER_IS = {
  subscribed: 'ERROR_SUBSCRIBED_PHONE_NUMBER',
  pending: 'ERROR_PENDING_PHONE_NUMBER',
  notSubscribed: 'ERROR_PHONE_NUMBER_NOT_SUBSCRIBED',
  onSenderCode: 'ERROR_PHONE_NUMBER_FOUND',
} as const;

/** Answers about one contact's data or standing: that contact is rejected, the run goes on. */
const PER_CONTACT = new Set([
  'ERROR_BANNED_PHONE_NUMBER',
  'ERROR_PHONE_NUMBER_SUSPENDED',
  'ERROR_INVALID_PHONE_NUMBER',
  'ERROR_INVALID_EMAIL_ADDRESS',
  'ERROR_BIRTHDAY_FIELD_NULL',
  'ERROR_SEGMENTATION_MAX_LENGTH',
  'ERROR_INVALID_SEGMENTATION_FIELD_ID',
  'ERROR_SEGMENTATION_FIELD_DISABLED',
  'ERROR_INVALID_PARAMETER',
  'ERROR_PHONE_NUMBER_NOT_FOUND',
]);

export function isPerContact(err: unknown): boolean {
  return err instanceof ListrakError && PER_CONTACT.has(err.code);
}

export function isCode(err: unknown, ...codes: readonly string[]): boolean {
  return err instanceof ListrakError && codes.includes(err.code);
}

/**
 * Listrak's "an id in this route was not found" (Get Contact's "no such number on this sender code"). A 404 without
 * Listrak's error envelope, or its "no such route", is a wrong api_url or auth_url instead, never a missing id.
 */
export function isNotFound(err: unknown): boolean {
  if (!(err instanceof ListrakError)) return false;
  if (err.code === 'ERROR_UNABLE_TO_LOCATE_RESOURCE') return true;
  // Another of Listrak's codes with a 404 (its statuses are mostly undocumented) still names a missing resource.
  return err.status === 404 && err.code.startsWith('ERROR_') && err.code !== 'ERROR_UNKNOWN_ROUTE';
}

/** A clearer message for the errors that stop a run. */
export function explainFatal(err: ListrakError, ids: { senderCodeId: number; listId: number }): string {
  switch (err.code) {
    case 'ERROR_LIST_INACTIVE':
      return `list ${ids.listId} is inactive in Listrak: activate it or fix phone_list_id`;
    case 'ERROR_INVALID_LIST_ID':
      return `list ${ids.listId} does not exist under sender code ${ids.senderCodeId}: check phone_list_id and sender_code_id`;
    case 'ERROR_SENDER_CODE_DISABLED':
      return `sender code ${ids.senderCodeId} is disabled in Listrak`;
    case 'ERROR_INVALID_CREDENTIALS':
    case 'ERROR_UNAUTHORIZED':
      // The token endpoint's refusal already says what to check; an API 401 does not.
      if (/check client_id/.test(err.message)) return err.message;
      return `${err.message} (check client_id/client_secret, that the integration is active and of type SMS, and its IP allow-list)`;
    default:
      return err.message;
  }
}
