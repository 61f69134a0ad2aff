// fastd-ts's `dropped` counters (status JSON) in the flood benches: how much each grew over a
// flood (or over two runs, added up), and the table cell that lists the ones that did.

export type DropCounters = Readonly<Record<string, number>>;

/** Each counter's growth from `before` to `after`; undefined when either is missing (Debian fastd has none). */
export function dropGrowth(after: DropCounters | undefined, before: DropCounters | undefined): Record<string, number> | undefined {
  if (!after || !before) return undefined;
  return Object.fromEntries(Object.entries(after).map(([reason, count]) => [reason, count - (before[reason] ?? 0)]));
}

/** Two growths added up, counter by counter; undefined when either is missing. */
export function dropSum(a: DropCounters | undefined, b: DropCounters | undefined): Record<string, number> | undefined {
  if (!a || !b) return undefined;
  return Object.fromEntries(Object.entries(a).map(([reason, count]) => [reason, count + (b[reason] ?? 0)]));
}

/** `reason count, …` of the counters that grew, or '-'. */
export function formatDrops(dropped: DropCounters | undefined): string {
  const grown = dropped ? Object.entries(dropped).filter(([, count]) => count > 0) : [];
  return grown.length > 0 ? grown.map(([reason, count]) => `${reason} ${count}`).join(', ') : '-';
}
