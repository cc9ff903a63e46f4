/** Virtual-scrolling arithmetic and room diffs: which rows exist, which rooms to change. */

export interface Range {
  /** First rendered index (inclusive). */
  start: number;
  /** Last rendered index (exclusive). */
  end: number;
}

/** Rows intersecting the viewport, plus `overscan` rows either side, clamped to [0, count). */
export function visibleRange(scrollTop: number, height: number, rowHeight: number, count: number, overscan = 0): Range {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const last = Math.ceil((Math.max(0, scrollTop) + Math.max(0, height)) / rowHeight);
  return { start: Math.max(0, Math.min(count, first - overscan)), end: Math.min(count, last + overscan) };
}

/** What to subscribe and unsubscribe to go from `prev` to `next`. */
export function diffRooms(prev: ReadonlySet<string>, next: ReadonlySet<string>): { add: string[]; remove: string[] } {
  const add: string[] = [];
  const remove: string[] = [];
  for (const r of next) if (!prev.has(r)) add.push(r);
  for (const r of prev) if (!next.has(r)) remove.push(r);
  return { add, remove };
}

/** The scrollTop that brings row `index` into view (unchanged if it already is). */
export function scrollToRow(index: number, scrollTop: number, height: number, rowHeight: number): number {
  const top = index * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + height) return top + rowHeight - height;
  return scrollTop;
}
