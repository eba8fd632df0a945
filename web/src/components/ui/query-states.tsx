import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { EmptyState, ErrorState, LoadingState } from "./states";

/**
 * The three states every list shows before its content: loading, error (with retry) and
 * empty. `children` renders the data once it is there and not empty.
 */
export function QueryStates<T>({
  query,
  isEmpty,
  empty,
  emptyAction,
  children,
}: {
  query: UseQueryResult<T>;
  /** When the loaded data counts as empty (default: never). */
  isEmpty?: (data: T) => boolean;
  /** What to show when empty: the page's own message (what to do next), or a whole node. */
  empty?: ReactNode;
  /** The next step offered under an empty message (e.g. the page's "Add" button). */
  emptyAction?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <LoadingState />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  if (isEmpty?.(query.data)) return typeof empty === "string" ? <EmptyState message={empty} action={emptyAction} /> : <>{empty}</>;
  return <>{children(query.data)}</>;
}
