// immudb's "strong password" rule (8..32 characters, an uppercase letter, a digit and a punctuation
// mark or symbol; nothing but letters, digits, punctuation and symbols). Clients enforce it (immuclient
// refuses, immuadmin asks); the server only requires non-empty. Lives in common so the tools and the
// server share one copy without the tools loading server modules. Pure.

export const strongPasswordCharsMin = 8;
export const strongPasswordCharsMax = 32;

/** The first problem with a password, or undefined when it is strong. */
export function strongPasswordProblem(password: string): string | undefined {
  const chars = [...password];
  if (chars.length < strongPasswordCharsMin || chars.length > strongPasswordCharsMax) {
    return `password must be ${strongPasswordCharsMin} to ${strongPasswordCharsMax} characters`;
  }
  let upper = false;
  let digit = false;
  let symbol = false;
  for (const c of chars) {
    if (/\p{Lu}/u.test(c)) upper = true;
    else if (/\p{Nd}/u.test(c)) digit = true;
    else if (/[\p{P}\p{S}]/u.test(c)) symbol = true;
    else if (!/\p{L}/u.test(c)) return 'password may only contain letters, digits, punctuation and symbols';
  }
  if (!upper) return 'password needs at least one uppercase letter';
  if (!digit) return 'password needs at least one digit';
  if (!symbol) return 'password needs at least one punctuation mark or symbol';
  return undefined;
}
