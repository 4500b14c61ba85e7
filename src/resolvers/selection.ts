import { GraphQLResolveInfo, Kind, SelectionSetNode } from 'graphql';

/**
 * Whether the query selects `name` directly under the current field (through fragments too).
 * Lets a connection skip its count(*) when nobody asked for totalCount.
 */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  return selectsPath(info, [name]);
}

/** Whether the query selects the field at `path` below the current field (e.g. ['nodes', 'items']), through fragments too. */
export function selectsPath(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  const visit = (set: SelectionSetNode | undefined, depth: number, seen: ReadonlySet<string>): boolean => (set?.selections ?? []).some((sel) => {
    if (sel.kind === Kind.FIELD) return sel.name.value === path[depth] && (depth === path.length - 1 || visit(sel.selectionSet, depth + 1, seen));
    if (sel.kind === Kind.INLINE_FRAGMENT) return visit(sel.selectionSet, depth, seen);
    // A fragment spread inside itself is invalid GraphQL; the guard keeps a malformed document from looping.
    if (seen.has(sel.name.value)) return false;
    return visit(info.fragments[sel.name.value]?.selectionSet, depth, new Set([...seen, sel.name.value]));
  });
  return info.fieldNodes.some((node) => visit(node.selectionSet, 0, new Set()));
}
