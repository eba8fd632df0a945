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
  children,
}: {
  query: UseQueryResult<T>;
  /** When the loaded data counts as empty (default: never). */
  isEmpty?: (data: T) => boolean;
  /** What to show when empty: a message or a whole node. */
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <LoadingState />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  if (isEmpty?.(query.data)) return typeof empty === "string" ? <EmptyState message={empty} /> : <>{empty}</>;
  return <>{children(query.data)}</>;
}
