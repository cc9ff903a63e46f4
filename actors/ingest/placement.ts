/**
 * Product → upstream-connection placement.
 *
 * Placement is a pure function of the owned product set: products live at the leaves
 * of a binary trie over their 53-bit hash, and a leaf splits (on the next hash bit)
 * only while it holds more than `cap` products. Adding a product touches only its own
 * leaf (at most one split), removing one at most merges two siblings, so a change in
 * ownership re-subscribes a handful of products instead of reshuffling everything.
 * Leaves average about 0.7 × cap products, which keeps spare room in each connection.
 */
import { hash53 } from "../lease/mod.ts";

/** Bit `depth` (0 = most significant) of a 53-bit hash. */
function bit(h: number, depth: number): 0 | 1 {
  return (Math.floor(h / 2 ** (52 - depth)) % 2) as 0 | 1;
}

/**
 * Group products into connections of at most `cap` products. Keys are stable trie
 * paths such as "c", "c0", "c01". Throws a RangeError unless cap >= 1.
 * (Products whose hashes agree in the first `maxDepth` bits could exceed `cap`;
 * with 53-bit hashes and maxDepth 40 that needs a collision of astronomical odds.)
 */
export function placeProducts(products: Iterable<string>, cap: number, maxDepth = 40): Map<string, string[]> {
  if (!(cap >= 1)) throw new RangeError(`cap must be >= 1, got ${cap}`);
  const items = [...new Set(products)].map((p) => ({ p, h: hash53(p) }));
  const out = new Map<string, string[]>();
  const visit = (list: typeof items, depth: number, path: string) => {
    if (list.length === 0) return;
    if (list.length <= cap || depth >= maxDepth) {
      out.set(path, list.map((x) => x.p).sort());
      return;
    }
    visit(list.filter((x) => bit(x.h, depth) === 0), depth + 1, path + "0");
    visit(list.filter((x) => bit(x.h, depth) === 1), depth + 1, path + "1");
  };
  visit(items, 0, "c");
  return out;
}

/**
 * Match the connections of a new plan to the sockets already open, so a leaf that
 * split or merged keeps the socket that already carries most of its products.
 * Returns plan key → existing socket id (absent: open a new socket). Greedy by
 * overlap, largest first; ties go to the socket with the smaller id (deterministic).
 */
export function matchSockets(
  plan: ReadonlyMap<string, readonly string[]>,
  sockets: ReadonlyMap<string, ReadonlySet<string>>,
): Map<string, string> {
  const pairs: Array<{ key: string; id: string; overlap: number }> = [];
  for (const [key, products] of plan) {
    for (const [id, subs] of sockets) {
      let overlap = 0;
      for (const p of products) if (subs.has(p)) overlap++;
      if (overlap > 0) pairs.push({ key, id, overlap });
    }
  }
  pairs.sort((a, b) => b.overlap - a.overlap || a.key.localeCompare(b.key) || a.id.localeCompare(b.id));
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const { key, id } of pairs) {
    if (out.has(key) || used.has(id)) continue;
    out.set(key, id);
    used.add(id);
  }
  return out;
}
