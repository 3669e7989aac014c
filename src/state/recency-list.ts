/** A node that carries its own links, so the list allocates nothing per entry. */
export interface RecencyNode<T> {
  older: T | undefined;
  newer: T | undefined;
}

/** An intrusive doubly linked list ordered by last use: O(1) touch, removal and oldest lookup. */
export class RecencyList<T extends RecencyNode<T>> {
  oldest: T | undefined = undefined;
  newest: T | undefined = undefined;

  pushNewest(node: T): void {
    node.older = this.newest;
    node.newer = undefined;
    if (this.newest === undefined) this.oldest = node;
    else this.newest.newer = node;
    this.newest = node;
  }

  remove(node: T): void {
    if (node.older === undefined) this.oldest = node.newer;
    else node.older.newer = node.newer;
    if (node.newer === undefined) this.newest = node.older;
    else node.newer.older = node.older;
    node.older = undefined;
    node.newer = undefined;
  }

  touch(node: T): void {
    if (node === this.newest) return;
    this.remove(node);
    this.pushNewest(node);
  }
}
