/** Checks on transactional message content that Listrak would otherwise refuse (or bill as several segments). */

// Listrak refuses coupon-code profile tags in transactional content.
const COUPON_TAG = /\[\s*coupon/i;
// The GSM 03.38 basic character set; anything outside it makes the whole message UCS-2 (70 characters a segment).
const GSM = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/;

export type ContentCheck = { ok: true; segments: number } | { ok: false; reason: 'empty_message' | 'coupon_tag'; detail: string };

export function checkContent(content: unknown): ContentCheck {
  if (typeof content !== 'string' || content.trim() === '') return { ok: false, reason: 'empty_message', detail: 'message content is empty' };
  if (COUPON_TAG.test(content)) return { ok: false, reason: 'coupon_tag', detail: 'coupon-code tags are not allowed in transactional messages' };
  return { ok: true, segments: segmentsOf(content) };
}

/** SMS segments the content takes: 160/153 characters for GSM text, 70/67 otherwise. */
export function segmentsOf(content: string): number {
  const gsm = GSM.test(content);
  const length = [...content].length;
  const single = gsm ? 160 : 70;
  const part = gsm ? 153 : 67;
  return length <= single ? 1 : Math.ceil(length / part);
}
