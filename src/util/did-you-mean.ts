// Suggests the closest known name for a mistyped one (dataset, model, loss, config key),
// by Levenshtein distance, and the one wording every `unknown X` error uses for it.

/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
    }
    prev = row;
  }
  return prev[b.length];
}

/**
 * The candidate closest to `input` (case-insensitive), or undefined when none is close:
 * at most 2 edits, or a third of the input's length for longer names.
 */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const needle = input.toLowerCase();
  const limit = Math.max(2, Math.floor(needle.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = levenshtein(needle, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/**
 * ` (did you mean 'x'?)` for the candidate closest to `input`, or '' when none is close. The
 * quote is the one the surrounding message uses for names.
 */
export function didYouMeanHint(input: string, candidates: readonly string[], quote = "'"): string {
  const guess = didYouMean(input, candidates);
  return guess === undefined ? '' : ` (did you mean ${quote}${guess}${quote}?)`;
}

/** The standard message for a name no registry knows: `unknown loss 'x' (did you mean 'y'?); known: a, b`. */
export function unknownName(what: string, value: string, known: readonly string[], quote = "'"): string {
  return `unknown ${what} ${quote}${value}${quote}${didYouMeanHint(value, known, quote)}; known: ${known.join(', ') || 'none'}`;
}
