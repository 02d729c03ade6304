/**
 * Masking for anything that may reach a log: phone numbers keep their last 4 digits, secrets keep nothing.
 * Logs are read by operations people and pasted into tickets, so full phones and tokens never go there.
 */

export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length <= 4) return '*'.repeat(digits.length);
  return `${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
}

/**
 * What looks like a phone number inside free text (messages from Listrak, our own log lines): a run of 7+ digits
 * standing alone, or the usual punctuated forms. Counts in our own output are printed with thousands separators,
 * and dates inside names (`Listrak_Customer_20261124.csv`) are joined to a word: the pattern leaves both alone.
 */
const PHONE_IN_TEXT = /(?<!\w)\+?\d{7,}(?!\w)|\+?\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b|\+\d{1,3}[\s-]\d[\d\s-]{6,}\d/g;

/**
 * A bare digit run right after one of these is named as something other than a phone: an id after its label
 * (`list 20000000`, `sender code 1001`, `phone_list_id: 2002`, `/PhoneList/2002`, `import 7`), a line number, or a
 * bound in a validation message (`<=195000000`). Masking those would hide what the reader has to fix.
 */
const NAMED_BEFORE = /(?:list|code|ids?|import|message|field|lines?)[\s#:=/"']{1,4}$|[<>]=?\s?$/i;

export function maskPhonesIn(text: string): string {
  return text.replace(PHONE_IN_TEXT, (m: string, offset: number) => {
    if (/^\d+$/.test(m) && NAMED_BEFORE.test(text.slice(Math.max(0, offset - 24), offset))) return m;
    return maskPhone(m);
  });
}

/** Remove each given secret from a text (error bodies may echo what was sent). */
export function scrubSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out;
}
