// "Did you mean …?" for mistyped mail domains (gmial.com, yandex.ry, mail.rj): the catalog's own
// domains within one edit (a letter wrong, missing, extra, or two swapped). Only ever offered.

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i]!;
    const above = rows[i - 1]!;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(above[j]! + 1, row[j - 1]! + 1, above[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      row[j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The known domain the typed one most likely meant, or undefined: exactly one edit away, for
 * domains long enough that one edit is a slip rather than another name (at least five letters).
 * A domain that is itself known is never "corrected".
 */
export function suggestDomain(domain: string, known: Iterable<string>): string | undefined {
  const typed = domain.toLowerCase();
  if (typed.length < 5) return undefined;
  let found: string | undefined;
  for (const candidate of known) {
    if (candidate === typed) return undefined;
    if (found === undefined && editDistance(typed, candidate, 1) === 1) found = candidate;
  }
  return found;
}
