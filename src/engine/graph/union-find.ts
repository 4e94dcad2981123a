/**
 * Union-find (disjoint sets) over dense integer ids, with path halving and union by size.
 * The dependency graph uses one element per channel position "identity" and unions the
 * identities that must be pruned together (Add inputs, shared layers, ...).
 */
export class UnionFind {
  private parent: Int32Array;
  private size: Int32Array;
  private n = 0;

  constructor(capacity = 1024) {
    this.parent = new Int32Array(capacity);
    this.size = new Int32Array(capacity);
  }

  /** Number of elements created so far. */
  get count(): number {
    return this.n;
  }

  /** Creates `k` new singleton elements and returns the id of the first. */
  add(k: number): number {
    const first = this.n;
    const need = first + k;
    if (need > this.parent.length) {
      let cap = this.parent.length * 2;
      while (cap < need) cap *= 2;
      const p = new Int32Array(cap);
      p.set(this.parent.subarray(0, first));
      const s = new Int32Array(cap);
      s.set(this.size.subarray(0, first));
      this.parent = p;
      this.size = s;
    }
    for (let i = first; i < need; i++) {
      this.parent[i] = i;
      this.size[i] = 1;
    }
    this.n = need;
    return first;
  }

  find(x: number): number {
    const p = this.parent;
    while (p[x] !== x) {
      p[x] = p[p[x]];
      x = p[x];
    }
    return x;
  }

  union(a: number, b: number): void {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return;
    if (this.size[ra] < this.size[rb]) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra] += this.size[rb];
  }
}
