import { GraphQLResolveInfo, Kind, SelectionSetNode } from 'graphql';

/**
 * Whether the query selects `name` directly under the current field (through fragments too).
 * Lets a connection skip its count(*) when nobody asked for totalCount.
 */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode | undefined): boolean => (set?.selections ?? []).some((sel) => {
    if (sel.kind === Kind.FIELD) return sel.name.value === name;
    if (sel.kind === Kind.INLINE_FRAGMENT) return visit(sel.selectionSet);
    if (seen.has(sel.name.value)) return false;
    seen.add(sel.name.value);
    return visit(info.fragments[sel.name.value]?.selectionSet);
  });
  return info.fieldNodes.some((node) => visit(node.selectionSet));
}
