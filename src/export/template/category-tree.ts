import { Queryable } from '../../db/queryable';
import { wholeTree } from '../../repositories/channel-node.repository';

interface TreeNode {
  id: string;
  attributes: Record<string, unknown>;
  parentId: string | null;
  /** Position among its parent's children (0-based); roots by EntityId. */
  sortOrder: number;
}

/**
 * The live category tree, read once per export inside its snapshot, for parent ids, paths and
 * levels. Held in memory: a BU has thousands of nodes, not millions, and a recursive query per
 * row would cost far more. The hierarchy is the parents' ChannelNodeChannelNodes outbound links
 * (as the channel file delivers them); a node listed under two parents takes the lowest parent id.
 */
export class CategoryTree {
  private constructor(private readonly nodes: Map<string, TreeNode>) {}

  static async load(q: Queryable): Promise<CategoryTree> {
    const { nodes: rows, edges } = await wholeTree(q);
    const nodes = new Map<string, TreeNode>(rows.map((r) => [r.id, { id: r.id, attributes: r.attributes, parentId: null, sortOrder: 0 }]));
    const childCount = new Map<string, number>();
    for (const e of edges) {
      const child = nodes.get(e.child);
      const position = childCount.get(e.parent) ?? 0;
      childCount.set(e.parent, position + 1);
      if (!child || child.parentId !== null || e.parent === e.child) continue;
      child.parentId = e.parent;
      child.sortOrder = position;
    }
    let rootPosition = 0;
    for (const n of nodes.values()) if (n.parentId === null) n.sortOrder = rootPosition++;
    return new CategoryTree(nodes);
  }

  parentOf(id: string): string | null {
    return this.nodes.get(id)?.parentId ?? null;
  }

  sortOrderOf(id: string): number | null {
    return this.nodes.get(id)?.sortOrder ?? null;
  }

  /** A field of a node: EntityId or an attribute. */
  field(id: string, field: string): unknown {
    const n = this.nodes.get(id);
    if (!n) return null;
    return field === 'EntityId' ? n.id : (n.attributes[field] ?? null);
  }

  /** Paths already walked: a tree serves one export, and its rows ask for the same few nodes again and again. */
  private readonly paths = new Map<string, readonly string[]>();

  /** Root first, this node last; a cycle in bad data stops at the first repeat. */
  pathOf(id: string): readonly string[] {
    let known = this.paths.get(id);
    if (!known) this.paths.set(id, (known = this.walkUp(id)));
    return known;
  }

  private walkUp(id: string): string[] {
    const path: string[] = [];
    const seen = new Set<string>();
    let cur: string | null = this.nodes.has(id) ? id : null;
    while (cur !== null && !seen.has(cur)) {
      seen.add(cur);
      path.unshift(cur);
      cur = this.parentOf(cur);
    }
    return path;
  }

  /** 1 for a root. */
  levelOf(id: string): number | null {
    return this.nodes.has(id) ? this.pathOf(id).length : null;
  }
}
