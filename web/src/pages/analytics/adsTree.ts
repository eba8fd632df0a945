/**
 * The Ads report's tree: the server's rows of every level (platform → campaign → ad set →
 * ad, each in one currency) linked to their parents, and the rows shown for a set of
 * expanded nodes, each level sorted by the chosen column within its parent.
 */
import type { paths } from "@/api/schema";
import { sortRows, type SortableColumn, type SortDirection } from "@/components/ui/sortable-table";

export type SpendReport = paths["/api/analytics/spend/report"]["get"]["responses"][200]["content"]["application/json"];
/** A row of the report; the real revenue and ROAS come with the correlation endpoint. */
export type SpendNode = SpendReport["rows"][number] & { real_revenue?: string | null; real_roas?: number | null };
export type TreeLevel = "platform" | "campaign" | "ad_set" | "ad";

export const TREE_LEVELS: readonly TreeLevel[] = ["platform", "campaign", "ad_set", "ad"];
const NONE = "∅";

export interface AdsTreeNode {
  key: string;
  level: TreeLevel;
  depth: number;
  row: SpendNode;
  children: AdsTreeNode[];
}

/** A node's identity: its keys from the platform down to its level, and its currency. */
export function nodeKey(row: SpendNode, level: TreeLevel = row.level as TreeLevel): string {
  const parts = [row.currency, row.platform ?? NONE];
  const depth = TREE_LEVELS.indexOf(level);
  if (depth >= 1) parts.push(row.account_id ?? NONE, row.campaign_id ?? NONE);
  if (depth >= 2) parts.push(row.ad_set_id ?? NONE);
  if (depth >= 3) parts.push(row.ad_id ?? NONE);
  return parts.join("|");
}

/** The platform nodes with their descendants (the per-currency totals are left out; an
 * ad set without id is skipped, its ads hang from their campaign). */
export function buildTree(rows: readonly SpendNode[]): AdsTreeNode[] {
  const nodes = new Map<string, AdsTreeNode>();
  const roots: AdsTreeNode[] = [];
  for (const level of TREE_LEVELS) {
    const depth = TREE_LEVELS.indexOf(level);
    for (const row of rows) {
      if (row.level !== level) continue;
      const parent = depth === 0 ? undefined : nodes.get(nodeKey(row, TREE_LEVELS[depth - 1]));
      if (level === "ad_set" && row.ad_set_id === null && parent) {
        // A campaign without ad sets (a CSV, LinkedIn): its ads hang from the campaign.
        nodes.set(nodeKey(row), parent);
        continue;
      }
      const node: AdsTreeNode = { key: nodeKey(row), level, depth: parent ? parent.depth + 1 : 0, row, children: [] };
      nodes.set(node.key, node);
      if (parent) parent.children.push(node);
      else if (depth === 0) roots.push(node);
    }
  }
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
