/**
 * The Ads report's tree: the correlation rows of each level (`GET /api/analytics/ads?level=`,
 * platform → campaign → ad set → ad) linked to their parents, and the rows shown for a set
 * of expanded nodes, each level sorted by the chosen column within its parent.
 */
import type { paths } from "@/api/schema";
import { sortRows, type SortableColumn, type SortDirection } from "@/components/ui/sortable-table";

export type AdsReport = paths["/api/analytics/ads"]["get"]["responses"][200]["content"]["application/json"];
export type AdsRow = AdsReport["rows"][number];
export type AdsFigures = AdsRow["figures"];
export type AdsLevel = AdsReport["level"];

export const ADS_LEVELS = ["platform", "campaign", "ad_set", "ad"] as const satisfies readonly AdsLevel[];
const NONE = "∅";

export interface AdsTreeNode {
  key: string;
  level: AdsLevel;
  depth: number;
  row: AdsRow;
  children: AdsTreeNode[];
}

/** A row's identity at a level: its keys from the platform down to that level. */
export function nodeKey(row: AdsRow, level: AdsLevel): string {
  const depth = ADS_LEVELS.indexOf(level);
  const parts = [row.platform];
  if (depth >= 1) parts.push(row.account_id ?? NONE, row.campaign_id ?? NONE);
  if (depth >= 2) parts.push(row.ad_set_id ?? NONE);
  if (depth >= 3) parts.push(row.ad_id ?? NONE);
  return parts.join("|");
}

/**
 * The platform nodes with their descendants, from the levels loaded so far. A row whose
 * parent is not there hangs from its nearest ancestor (an ad of a campaign without ad sets).
 */
export function buildTree(levels: Partial<Record<AdsLevel, readonly AdsRow[]>>): AdsTreeNode[] {
  const nodes = new Map<string, AdsTreeNode>();
  const roots: AdsTreeNode[] = [];
  ADS_LEVELS.forEach((level, depth) => {
    for (const row of levels[level] ?? []) {
      let parent: AdsTreeNode | undefined;
      for (let up = depth - 1; up >= 0 && !parent; up--) parent = nodes.get(nodeKey(row, ADS_LEVELS[up]!));
      const node: AdsTreeNode = { key: nodeKey(row, level), level, depth: parent ? parent.depth + 1 : 0, row, children: [] };
      nodes.set(node.key, node);
      if (parent) parent.children.push(node);
      else if (depth === 0) roots.push(node);
    }
  });
  return roots;
}

/** The rows shown: every root, and the children of expanded nodes, siblings sorted by `column`. */
export function visibleNodes(
  roots: readonly AdsTreeNode[],
  expanded: ReadonlySet<string>,
  column: SortableColumn<AdsTreeNode> | undefined,
  direction: SortDirection,
  locale: string,
): AdsTreeNode[] {
  const out: AdsTreeNode[] = [];
  const walk = (siblings: readonly AdsTreeNode[]) => {
    for (const node of sortRows(siblings, column, direction, locale)) {
      out.push(node);
      if (expanded.has(node.key)) walk(node.children);
    }
  };
  walk(roots);
  return out;
}

/** Every node that has children (for "expand all"). */
export function parentKeys(roots: readonly AdsTreeNode[]): string[] {
  const keys: string[] = [];
  const walk = (nodes: readonly AdsTreeNode[]) => {
    for (const n of nodes) {
      if (n.children.length) {
        keys.push(n.key);
        walk(n.children);
      }
    }
  };
  walk(roots);
  return keys;
}

/** How deep the report must be loaded to show the children of the expanded nodes. */
export function levelsNeeded(expanded: ReadonlySet<string>, all: boolean): number {
  if (all) return ADS_LEVELS.length;
  let deepest = 0;
  for (const key of expanded) deepest = Math.max(deepest, key.split("|").length === 1 ? 0 : key.split("|").length - 2);
  // an expanded platform needs campaigns (always loaded), a campaign needs ad sets, an ad set needs ads
  return Math.min(ADS_LEVELS.length, Math.max(2, deepest + 2));
}
