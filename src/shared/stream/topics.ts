/**
 * Topic patterns: dot-separated words; `*` matches one word, `>` (last) matches one or more.
 * 'md.quote.*' matches 'md.quote.AAPL'; 'order.>' matches 'order.42' and 'order.42.fill'.
 */
export type TopicMatcher = (topic: string) => boolean;

export function topicMatcher(patterns: readonly string[] | undefined): TopicMatcher | undefined {
  if (patterns === undefined || patterns.length === 0) return undefined;
  const compiled = patterns.map((p) => p.split('.'));
  return (topic) => {
    const words = topic.split('.');
    return compiled.some((pattern) => matches(pattern, words));
  };
}

function matches(pattern: readonly string[], words: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === '>') return words.length > i;
    if (i >= words.length) return false;
    if (p !== '*' && p !== words[i]) return false;
  }
  return pattern.length === words.length;
}

/** A name as one topic word (symbols such as EUR.USD carry dots): anything but letters, digits, _ and - becomes -. */
export function topicWord(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '-') || '-';
}
